// SSTables for a CRS keyspace, written offline with Cassandra's own CQLSSTableWriter, to be loaded into a
// running node with `nodetool import`: the bulk path for data sets too large to seed through the domain
// (bench/cassandra_bulk.py drives it; it is a benchmark tool, not part of the service).
//
//   java -cp <cassandra jars>:<classes> CrsBulkWriter ROWS_DIR OUT_DIR KEYSPACE TENANTS_FILE
//
// ROWS_DIR holds, per table, <table>.cql (its CREATE TABLE) and <table>.tsv: a header line of
// "column:type" fields (the key columns after "tenant", then value:blob, version:text, ttl:int), then one
// row per line with blob fields in hex. Every row is written once per tenant in TENANTS_FILE (one per line),
// under that tenant, into OUT_DIR/<table>/.
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.apache.cassandra.io.sstable.CQLSSTableWriter;

public final class CrsBulkWriter {
    private CrsBulkWriter() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: CrsBulkWriter ROWS_DIR OUT_DIR KEYSPACE TENANTS_FILE");
            System.exit(2);
        }
        Path rowsDir = Paths.get(args[0]);
        Path outDir = Paths.get(args[1]);
        String keyspace = args[2];
        List<String> tenants = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(args[3]), StandardCharsets.UTF_8)) {
            if (!line.isEmpty()) tenants.add(line);
        }
        List<Path> schemas = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(rowsDir, "*.cql")) {
            for (Path p : dir) schemas.add(p);
        }
        schemas.sort(null);
        long total = 0;
        long started = System.nanoTime();
        for (Path schema : schemas) {
            String name = schema.getFileName().toString().replaceFirst("\\.cql$", "");
            total += writeTable(keyspace, name, Files.readString(schema), rowsDir.resolve(name + ".tsv"),
                    outDir.resolve(name), tenants);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("{\"rows\": %d, \"seconds\": %.1f, \"tables\": %d, \"tenants\": %d}%n",
                total, seconds, schemas.size(), tenants.size());
    }

    private static long writeTable(String keyspace, String table, String create, Path tsv, Path out,
                                   List<String> tenants) throws IOException {
        List<String> names = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<Object[]> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(tsv, StandardCharsets.UTF_8)) {
            for (String field : in.readLine().split("\t", -1)) {
                int colon = field.lastIndexOf(':');
                names.add(field.substring(0, colon));
                types.add(field.substring(colon + 1));
            }
            String line;
            while ((line = in.readLine()) != null) {
                String[] fields = line.split("\t", -1);
                if (fields.length != names.size()) {
                    throw new IOException(tsv + ": a line has " + fields.length + " fields, want " + names.size());
                }
                Object[] row = new Object[fields.length];
                for (int i = 0; i < fields.length; i++) row[i] = parse(types.get(i), fields[i]);
                rows.add(row);
            }
        }
        if (rows.isEmpty()) return 0;
        StringBuilder columns = new StringBuilder("\"tenant\"");
        StringBuilder marks = new StringBuilder("?");
        for (String n : names) {
            if (n.equals("ttl")) continue;
            columns.append(", \"").append(n).append('"');
            marks.append(", ?");
        }
        String insert = "INSERT INTO " + keyspace + "." + table + " (" + columns + ") VALUES (" + marks
                + ") USING TTL ?";
        Files.createDirectories(out);
        CQLSSTableWriter writer = CQLSSTableWriter.builder()
                .inDirectory(out.toString())
                .forTable(create)
                .using(insert)
                .withBufferSizeInMiB(1024)
                .build();
        long written = 0;
        try {
            for (String tenant : tenants) {
                for (Object[] row : rows) {
                    List<Object> values = new ArrayList<>(row.length + 1);
                    values.add(tenant);
                    for (Object v : row) values.add(v instanceof ByteBuffer b ? b.duplicate() : v);
                    writer.addRow(values);
                    written++;
                }
            }
        } finally {
            writer.close();
        }
        return written;
    }

    private static Object parse(String type, String text) {
        return switch (type) {
            case "text" -> text;
            case "int" -> Integer.valueOf(text);
            case "blob" -> ByteBuffer.wrap(HexFormat.of().parseHex(text));
            default -> throw new IllegalArgumentException("unknown column type " + type);
        };
    }
}
