#!/usr/bin/env bash
# Local Apache Cassandra 5.0 for CRS tests and development: 1 or 3 nodes on loopback, run from the
# cassandra-all jars Maven fetches (the binary tarball is not on Maven Central) with project-owned config
# (cassandra-local/cassandra.yaml.template, cassandra-local/jvm-server.options, cassandra-local/logback.xml).
#
#   scripts/cassandra.sh fetch                    copy cassandra-all + runtime deps into .tools/cassandra/lib
#   scripts/cassandra.sh start [--nodes 1|3] [--secure]
#                                                 create the nodes' config and start them in the background;
#                                                 --secure: password authentication (CassandraAuthorizer),
#                                                 TLS-only CQL with client certificates and TLS-only node-to-node
#                                                 traffic (see "Secure" below)
#   scripts/cassandra.sh wait [--nodes N] [--timeout S]   until CQL answers on every node and all are UN
#   scripts/cassandra.sh status                   nodetool status (+ pid and memory of each node)
#   scripts/cassandra.sh nodetool N ARGS...       nodetool against node N
#   scripts/cassandra.sh stop-node N              SIGTERM (drain), SIGKILL after $CRS_CASSANDRA_STOP_TIMEOUT s
#   scripts/cassandra.sh start-node N             restart a stopped node on its data, wait until it is UN
#   scripts/cassandra.sh kill-node N              SIGKILL (like production, the node loses writes newer than
#                                                 its last commit log sync: commitlog_sync_period, 10 s)
#   scripts/cassandra.sh flush                    nodetool flush on every running node
#   scripts/cassandra.sh teardown                 kill every node and delete the cluster directory
#
# Node N: listen/rpc/broadcast address 127.0.0.N, CQL port 9042, storage port 7000, JMX on 127.0.0.1 port
# 7199 + 100*(N-1), datacenter dc1, rack rack1. State (config, data, logs, pid files) lives in
# $CRS_CASSANDRA_HOME (default .tools/cassandra/cluster), one directory per node; logs in nodeN/logs/.
# Environment: CRS_CASSANDRA_HOME, CRS_CASSANDRA_LIB (jar dir), CRS_CASSANDRA_TIMEOUT (s per node, 180),
# CRS_CASSANDRA_STOP_TIMEOUT (s, 60), CRS_CASSANDRA_JVM_OPTS (extra JVM options, appended last),
# CRS_PYTHON (python with cassandra-driver, default .venv/bin/python), JAVA_HOME.
# Only one cluster can run at a time on a machine (fixed ports); `start` refuses if the ports are taken.
#
# Secure (start --secure): a local CA and certificates are made with openssl in $CRS_CASSANDRA_HOME/tls:
# ca.pem (trust it), node.pem (key + certificate for 127.0.0.1-3), client.crt and client.key (a client
# certificate the nodes accept). The nodes then require TLS and a client certificate on port 9042 and log-in
# with a password; the default superuser cassandra/cassandra exists from the start (local use only). Nodes
# talk to each other only over mutual TLS on the storage port (internode_encryption: all).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONF_SRC="$ROOT/cassandra-local"
LIB=${CRS_CASSANDRA_LIB:-$ROOT/.tools/cassandra/lib}
CLUSTER=${CRS_CASSANDRA_HOME:-$ROOT/.tools/cassandra/cluster}
[[ "$CLUSTER" = /* ]] || CLUSTER="$PWD/$CLUSTER"
NODE_TIMEOUT=${CRS_CASSANDRA_TIMEOUT:-180}
STOP_TIMEOUT=${CRS_CASSANDRA_STOP_TIMEOUT:-60}
PY=${CRS_PYTHON:-$ROOT/.venv/bin/python}
MARKER=.crs-cassandra-cluster
SUPERUSER=cassandra  # the default superuser of a --secure cluster; its password is the same word
DRIVER_REQ="cassandra-driver>=3.30,<3.31"
CASSANDRA_VERSION=$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$CONF_SRC/pom.xml")
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

say() { echo "cassandra.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------- prerequisites

need_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (install OpenJDK 17 or set JAVA_HOME)"
  local v major
  v=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)
  major=${v%%.*}
  [ "$major" = 17 ] || die "Cassandra $CASSANDRA_VERSION here needs Java 17, found '$v' ($JAVA); set JAVA_HOME"
}

jar_count() {
  local f c=0
  for f in "$LIB"/*.jar; do [ ! -f "$f" ] || c=$((c + 1)); done
  echo "$c"
}

main_jar() { echo "$LIB/cassandra-all-$CASSANDRA_VERSION.jar"; }

need_lib() {
  [ -f "$(main_jar)" ] && [ -f "$LIB/.fetched" ] ||
    die "Cassandra jars missing or incomplete in $LIB: run 'bash scripts/cassandra.sh fetch'"
}

m2_repo() { echo "${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"; }

# The lib dir is complete when fetch wrote .fetched (the jar list of that run, for the current pom) after
# Maven succeeded, every listed jar is still there, and cassandra-all matches the .sha1 Maven downloaded.
lib_ok() {
  local marker="$LIB/.fetched" jar sha expected
  [ -f "$marker" ] && [ -f "$(main_jar)" ] || return 1
  [ "$(sed -n 's/^pom-sha256 //p' "$marker")" = "$(sha256sum "$CONF_SRC/pom.xml" | cut -d' ' -f1)" ] || return 1
  while read -r jar; do [ -f "$LIB/$jar" ] || return 1; done < <(sed -n 's/^jar //p' "$marker")
  sha=$(sha1sum "$(main_jar)" | cut -d' ' -f1)
  expected="$(m2_repo)/org/apache/cassandra/cassandra-all/$CASSANDRA_VERSION/cassandra-all-$CASSANDRA_VERSION.jar.sha1"
  if [ -f "$expected" ]; then
    [ "$sha" = "$(cut -c1-40 "$expected")" ] || { say "cassandra-all jar does not match $expected"; return 1; }
  else
    say "warning: $expected not found, cannot check the cassandra-all checksum"
  fi
}

cmd_fetch() {
  [ $# -eq 0 ] || usage
  if lib_ok; then
    say "jars present and checked: $LIB ($(jar_count) jars, cassandra-all $CASSANDRA_VERSION)"
  else
    command -v mvn >/dev/null || die "mvn (Maven) is required to fetch Cassandra"
    local tmp="$LIB.tmp.$$" jar
    rm -rf "$tmp"
    say "fetching cassandra-all $CASSANDRA_VERSION and its runtime dependencies (Maven) into $LIB"
    mkdir -p "$(dirname "$LIB")"
    if ! mvn -q -B -Dstyle.color=never -f "$CONF_SRC/pom.xml" dependency:copy-dependencies "-Dcrs.cassandra.lib=$tmp" \
        > "$LIB.mvn.log" 2>&1; then
      cat "$LIB.mvn.log" >&2
      rm -rf "$tmp"
      die "mvn dependency:copy-dependencies failed (output above, also in $LIB.mvn.log)"
    fi
    rm -f "$LIB.mvn.log"
    [ -f "$tmp/cassandra-all-$CASSANDRA_VERSION.jar" ] || { rm -rf "$tmp"; die "Maven did not produce cassandra-all"; }
    {
      echo "pom-sha256 $(sha256sum "$CONF_SRC/pom.xml" | cut -d' ' -f1)"
      for jar in "$tmp"/*.jar; do echo "jar ${jar##*/}"; done
    } > "$tmp/.fetched"
    rm -rf "$LIB.old.$$"
    [ ! -e "$LIB" ] || mv "$LIB" "$LIB.old.$$"
    mv "$tmp" "$LIB"
    rm -rf "$LIB.old.$$"
    lib_ok || die "fetched jars failed the check"
    say "fetched $(jar_count) jars into $LIB"
  fi
  # The CQL readiness probe (and the tests) use the Python driver from the project venv.
  if [ -x "$PY" ] && ! "$PY" -I -c 'import cassandra.cluster' 2>/dev/null; then
    say "installing $DRIVER_REQ into $(dirname "$(dirname "$PY")")"
    "$PY" -m pip install -q "$DRIVER_REQ" || say "warning: could not install cassandra-driver (wait falls back to nodetool)"
  fi
}

# ---------------------------------------------------------------- nodes

node_dir() { echo "$CLUSTER/node$1"; }
node_addr() { echo "127.0.0.$1"; }
jmx_port() { echo $((7199 + 100 * ($1 - 1))); }
pid_file() { echo "$(node_dir "$1")/cassandra.pid"; }

check_node_arg() {
  [[ "${1:-}" =~ ^[1-9]$ ]] || die "node number expected (1..9), got '${1:-}'"
}

recorded_nodes() { cat "$CLUSTER/nodes" 2>/dev/null || true; }

# Node count for commands without --nodes: what `start` recorded.
cluster_nodes() {
  local n
  n=$(recorded_nodes)
  [ -n "$n" ] || die "no cluster in $CLUSTER (run 'bash scripts/cassandra.sh start')"
  echo "$n"
}

# PID of node N if it is running (the pid file's process, still a CassandraDaemon of this node), else "".
node_pid() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 0
  pid=$(tr -dc 0-9 < "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-Dcassandra.config=file://$(node_dir "$1")/conf/"; then
    echo "$pid"
  fi
}

log_hint() {
  local d
  d=$(node_dir "$1")
  say "node $1 logs: $d/logs/system.log (Cassandra), $d/logs/output.log (JVM stdout/stderr)"
  if [ -s "$d/logs/output.log" ]; then
    say "--- last lines of $d/logs/output.log"; tail -n 15 "$d/logs/output.log" >&2
  fi
  if [ -f "$d/logs/system.log" ]; then
    say "--- last ERROR/WARN lines of $d/logs/system.log"
    grep -E '^(ERROR|WARN)' "$d/logs/system.log" | tail -n 15 >&2 || true
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

render_node() {
  local n=$1 d addr seeds i
  d=$(node_dir "$n")
  addr=$(node_addr "$n")
  # First start: node 1 is the only seed, so nodes 2 and 3 bootstrap (a seed never does). Restart (the node has
  # data): every node is a seed, so it can rejoin through any live node even while node 1 is down.
  seeds="$(node_addr 1):7000"
  if [ -d "$d/data/system" ]; then
    seeds=""
    for ((i = 1; i <= $(cluster_nodes); i++)); do seeds+="${seeds:+,}$(node_addr "$i"):7000"; done
  fi
  mkdir -p "$d/conf" "$d/data" "$d/commitlog" "$d/hints" "$d/saved_caches" "$d/cdc_raw" "$d/logs" "$d/triggers"
  sed -e "s|@@ADDRESS@@|$addr|g" -e "s|@@NODE_DIR@@|$d|g" -e "s|@@SEEDS@@|$seeds|g" \
    "$CONF_SRC/cassandra.yaml.template" > "$d/conf/cassandra.yaml"
  if grep -q '@@' "$d/conf/cassandra.yaml"; then die "unreplaced marker in $d/conf/cassandra.yaml"; fi
  if is_secure; then secure_config "$d/conf/cassandra.yaml"; fi
  printf 'dc=dc1\nrack=rack1\n' > "$d/conf/cassandra-rackdc.properties"
  cp "$CONF_SRC/logback.xml" "$d/conf/logback.xml"
}

# ---------------------------------------------------------------- secure mode (start --secure)

is_secure() { [ -f "$CLUSTER/secure" ]; }
tls_dir() { echo "$CLUSTER/tls"; }

# A CA, one node certificate for every local node address, and a client certificate (RSA 2048, 30 days).
make_tls() {
  local t tmp
  t=$(tls_dir)
  [ ! -f "$t/node.pem" ] || return 0
  command -v openssl >/dev/null || die "openssl is required for --secure"
  tmp="$t.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  (
    cd "$tmp"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=crs-local-cassandra-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj "/CN=crs-local-cassandra-node"
    printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' > node.ext
    openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.crt -days 30 -extfile node.ext
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=crs-local-client"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.crt -days 30 -extfile client.ext
    cat node.key node.crt > node.pem
    rm -f ./*.csr ./*.ext ca.srl
  ) > "$tmp.log" 2>&1 || { cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; die "openssl failed making the local certificates"; }
  rm -f "$tmp.log"
  mv "$tmp" "$t"
  say "made a local CA and certificates in $t"
}

# PasswordAuthenticator + CassandraAuthorizer, and CQL only over TLS with a client certificate (PEM files).
secure_config() {
  local yaml=$1 t
  t=$(tls_dir)
  sed -i -e 's|org.apache.cassandra.auth.AllowAllAuthenticator|org.apache.cassandra.auth.PasswordAuthenticator|' \
    -e 's|org.apache.cassandra.auth.AllowAllAuthorizer|org.apache.cassandra.auth.CassandraAuthorizer|' "$yaml"
  grep -q 'PasswordAuthenticator' "$yaml" && grep -q 'CassandraAuthorizer' "$yaml" ||
    die "could not switch $yaml to password authentication"
  cat >> "$yaml" <<YAML

# --secure (scripts/cassandra.sh): CQL clients must use TLS and present a certificate signed by the local CA.
client_encryption_options:
  enabled: true
  optional: false
  ssl_context_factory:
    class_name: org.apache.cassandra.security.PEMBasedSslContextFactory
  keystore: $t/node.pem
  truststore: $t/ca.pem
  require_client_auth: true
  protocol: TLS
  accepted_protocols: [TLSv1.2, TLSv1.3]

# Node-to-node traffic (gossip, reads, writes, streaming) only over TLS on the storage port, both sides
# presenting a certificate of the local CA; the peer's certificate must name the address it is dialled on.
server_encryption_options:
  internode_encryption: all
  optional: false
  legacy_ssl_storage_port_enabled: false
  ssl_context_factory:
    class_name: org.apache.cassandra.security.PEMBasedSslContextFactory
  keystore: $t/node.pem
  truststore: $t/ca.pem
  require_client_auth: true
  require_endpoint_verification: true
  protocol: TLS
  accepted_protocols: [TLSv1.2, TLSv1.3]
YAML
}

jvm_opts_file() { grep -v -E '^[[:space:]]*(#|$)' "$CONF_SRC/jvm-server.options"; }

launch_node() {
  local n=$1 d pid jamm
  local -a opts
  d=$(node_dir "$n")
  ports_free "$n" 10 || die "a port of node $n ($(node_addr "$n"):9042, :7000 or JMX 127.0.0.1:$(jmx_port "$n")) is in use \
(another Cassandra running? see 'ss -ltnp')"
  render_node "$n"
  mapfile -t opts < <(jvm_opts_file)
  # jamm as an agent: exact memtable sizes (instrumentation), as the stock start-up scripts do.
  for jamm in "$LIB"/jamm-*.jar; do [ ! -f "$jamm" ] || opts+=("-javaagent:$jamm"); break; done
  opts+=(
    "-Dcassandra.config=file://$d/conf/cassandra.yaml"
    "-Dcassandra-rackdc.properties=file://$d/conf/cassandra-rackdc.properties"
    "-Dlogback.configurationFile=file://$d/conf/logback.xml"
    "-Dcassandra.logdir=$d/logs"
    "-Dcassandra.storagedir=$d"
    "-Dcassandra-pidfile=$d/cassandra.pid"
    "-Dcassandra.jmx.local.port=$(jmx_port "$n")"
    "-Dcom.sun.management.jmxremote.rmi.port=$(jmx_port "$n")"
    "-Dcassandra.triggers_dir=$d/triggers"
    "-Djava.io.tmpdir=$d/tmp"
    "-XX:HeapDumpPath=$d/logs"
    "-XX:ErrorFile=$d/logs/hs_err_%p.log"
    "-Xlog:gc:file=$d/logs/gc.log:time,uptime:filecount=3,filesize=5M"
  )
  # shellcheck disable=SC2206
  # A secure cluster's default superuser exists at once, not 10 s after start-up.
  if is_secure; then opts+=("-Dcassandra.superuser_setup_delay_ms=0"); fi
  [ -z "${CRS_CASSANDRA_JVM_OPTS:-}" ] || opts+=(${CRS_CASSANDRA_JVM_OPTS})
  mkdir -p "$d/tmp"
  printf '%s\n' "$(date +%s.%N)" > "$d/started_at"
  # setsid: own session, so a Ctrl-C in the caller's terminal does not reach the node. This shell has no job
  # control, so the background child is not a group leader and setsid execs java without forking: $! is java.
  (cd "$d" && exec setsid nohup "$JAVA" "${opts[@]}" -cp "$LIB/*" org.apache.cassandra.service.CassandraDaemon \
      > "$d/logs/output.log" 2>&1 < /dev/null) &
  pid=$!
  echo "$pid" > "$(pid_file "$n")"
  sleep 1
  if [ -z "$(node_pid "$n")" ]; then
    say "node $n exited right after start"
    log_hint "$n"
    exit 1
  fi
  say "node $n starting: pid $pid, $(node_addr "$n"):9042, JMX 127.0.0.1:$(jmx_port "$n"), dir $d"
}

# nodetool against node N (JMX on 127.0.0.1:<jmx port>). user.home: its history file goes to the cluster dir.
run_nodetool() {
  local n=$1
  local -a modules
  shift
  mapfile -t modules < <(jvm_opts_file | grep -E '^--add-(exports|opens)=')
  "$JAVA" -Xms32m -Xmx128m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+PerfDisableSharedMem \
    -Djava.net.preferIPv4Stack=true -Dlogback.configurationFile="file://$CONF_SRC/logback-tools.xml" \
    -Dcassandra.storagedir="$CLUSTER" -Duser.home="$CLUSTER" "${modules[@]}" \
    -cp "$LIB/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$(jmx_port "$n")" "$@"
}

# CQL readiness: SELECT release_version FROM system.local on each address, through the Python driver (a TCP
# connect is not enough: the port opens before the node serves queries). Exit 0 when all answer.
CQL_PROBE='
import logging, os, ssl, sys, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
ok = True
secure = {}
tls = os.environ.get("PROBE_TLS_DIR")
if tls:
    ctx = ssl.create_default_context(cafile=tls + "/ca.pem")
    ctx.load_cert_chain(tls + "/client.crt", tls + "/client.key")
    user = os.environ["PROBE_USER"]
    secure = {"ssl_context": ctx, "auth_provider": PlainTextAuthProvider(user, user)}
for addr in sys.argv[1:]:
    cluster = Cluster([addr], port=9042, load_balancing_policy=WhiteListRoundRobinPolicy([addr]),
                      connect_timeout=5, control_connection_timeout=5, schema_metadata_enabled=False,
                      token_metadata_enabled=False, protocol_version=5, **secure)
    try:
        row = cluster.connect().execute("SELECT release_version FROM system.local", timeout=5).one()
        print(addr, row.release_version)
    except Exception as e:
        print(addr, "not ready:", type(e).__name__, str(e)[:200])
        ok = False
    finally:
        cluster.shutdown()
sys.exit(0 if ok else 1)
'

have_driver() { [ -x "$PY" ] && "$PY" -I -c 'import cassandra.cluster' 2>/dev/null; }

cql_ready() {
  local n=$1
  if have_driver; then
    if is_secure; then
      PROBE_TLS_DIR=$(tls_dir) PROBE_USER=$SUPERUSER timeout 30 "$PY" -I -c "$CQL_PROBE" "$(node_addr "$n")" >/dev/null 2>&1
    else
      timeout 30 "$PY" -I -c "$CQL_PROBE" "$(node_addr "$n")" >/dev/null 2>&1
    fi
  else
    # Fallback without the driver: the node reports its native transport running (nodetool statusbinary).
    [ "$(run_nodetool "$n" statusbinary 2>/dev/null)" = running ]
  fi
}

# Nodes that node N's view (nodetool status) shows as Up/Normal, one address per line.
un_addresses() { run_nodetool "$1" status 2>/dev/null | awk '$1 == "UN" { print $2 }'; }

# Wait until node N serves CQL and its own view shows every address in $2.. as UN (deadline: epoch secs in $2).
wait_node() {
  local n=$1 deadline=$2
  shift 2
  local want=("$@") ups a missing
  while :; do
    [ -n "$(node_pid "$n")" ] || { say "node $n is not running (exited?)"; log_hint "$n"; return 1; }
    if cql_ready "$n"; then
      ups=$(un_addresses "$n" || true)
      missing=""
      for a in "${want[@]}"; do grep -qx "$a" <<<"$ups" || missing+=" $a"; done
      [ -n "$missing" ] || return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      if [ -n "${missing:-}" ]; then say "timed out: node $n does not see UN:$missing"; else say "timed out: CQL not answering on $(node_addr "$n"):9042"; fi
      log_hint "$n"
      return 1
    fi
    sleep 2
  done
}

elapsed() { awk -v s="$(cat "$(node_dir "$1")/started_at" 2>/dev/null || date +%s)" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

parse_nodes_timeout() {
  NODES=""; TIMEOUT=""; SECURE=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --secure) SECURE=1; shift ;;
      --nodes) NODES=${2:-}; shift 2 ;;
      --nodes=*) NODES=${1#--nodes=}; shift ;;
      --timeout) TIMEOUT=${2:-}; shift 2 ;;
      --timeout=*) TIMEOUT=${1#--timeout=}; shift ;;
      *) usage ;;
    esac
  done
  [ -z "$NODES" ] || [[ "$NODES" =~ ^[1-9]$ ]] || die "--nodes expects a number (1 or 3), got '$NODES'"
  [ -z "$TIMEOUT" ] || [[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout expects seconds, got '$TIMEOUT'"
}

all_addresses() { local i; for ((i = 1; i <= $1; i++)); do node_addr "$i"; done; }

cmd_start() {
  parse_nodes_timeout "$@"
  local n=${NODES:-1} recorded i
  local -a addrs
  [ "$n" = 1 ] || [ "$n" = 3 ] || die "--nodes must be 1 or 3"
  need_java
  need_lib
  recorded=$(recorded_nodes)
  [ -z "$recorded" ] || [ "$recorded" = "$n" ] ||
    die "$CLUSTER holds a $recorded-node cluster; run 'bash scripts/cassandra.sh teardown' first"
  if [ -e "$CLUSTER" ] && [ ! -f "$CLUSTER/$MARKER" ]; then
    [ -z "$(ls -A "$CLUSTER")" ] || die "$CLUSTER exists and is not a cluster directory made by this script"
  fi
  if [ -n "$recorded" ] && [ -n "$SECURE" ] && ! is_secure; then
    die "$CLUSTER holds a cluster started without --secure; run 'bash scripts/cassandra.sh teardown' first"
  fi
  if [ -n "$recorded" ] && [ -z "$SECURE" ] && is_secure; then
    die "$CLUSTER holds a --secure cluster; start it with --secure (or tear it down first)"
  fi
  mkdir -p "$CLUSTER"
  touch "$CLUSTER/$MARKER"
  echo "$n" > "$CLUSTER/nodes"
  if [ -n "$SECURE" ]; then
    touch "$CLUSTER/secure"
    make_tls
  fi
  for ((i = 1; i <= n; i++)); do
    if [ -n "$(node_pid "$i")" ]; then
      say "node $i already running (pid $(node_pid "$i"))"
      continue
    fi
    # Joining nodes bootstrap one at a time: every earlier node must be UN before the next one starts.
    if [ "$i" -gt 1 ]; then
      mapfile -t addrs < <(all_addresses $((i - 1)))
      wait_node $((i - 1)) $(($(date +%s) + NODE_TIMEOUT)) "${addrs[@]}" || exit 1
      say "node $((i - 1)) is UN ($(elapsed $((i - 1))) s after its start)"
    fi
    launch_node "$i"
  done
  say "started; run 'bash scripts/cassandra.sh wait' for readiness (logs: $CLUSTER/node*/logs/system.log)"
}

cmd_wait() {
  parse_nodes_timeout "$@"
  local n=${NODES:-$(cluster_nodes)} i deadline began
  local -a addrs
  need_java
  need_lib
  began=$(date +%s)
  mapfile -t addrs < <(all_addresses "$n")
  deadline=$((began + ${TIMEOUT:-$((NODE_TIMEOUT * n))}))
  have_driver || say "warning: no cassandra-driver in $PY; checking CQL with nodetool statusbinary instead"
  for ((i = 1; i <= n; i++)); do
    wait_node "$i" "$deadline" "${addrs[@]}" || { say "wait failed after $(($(date +%s) - began)) s"; exit 1; }
  done
  say "ready: $n node(s) UN and answering CQL (waited $(($(date +%s) - began)) s; node 1 started $(elapsed 1) s ago)"
}

node_mem() {
  local pid=$1
  awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { printf "rss %d MiB, peak rss %d MiB", r / 1024, h / 1024 }' "/proc/$pid/status"
}

cmd_status() {
  [ $# -eq 0 ] || usage
  local n i pid first=""
  n=$(cluster_nodes)
  need_java
  need_lib
  for ((i = 1; i <= n; i++)); do
    pid=$(node_pid "$i")
    if [ -n "$pid" ]; then
      say "node $i: pid $pid, $(node_mem "$pid"), logs $(node_dir "$i")/logs"
      [ -n "$first" ] || first=$i
    else
      say "node $i: not running, logs $(node_dir "$i")/logs"
    fi
  done
  [ -n "$first" ] || die "no node is running"
  run_nodetool "$first" status
}

cmd_nodetool() {
  check_node_arg "${1:-}"
  local n=$1
  shift
  need_java
  need_lib
  [ -n "$(node_pid "$n")" ] || die "node $n is not running"
  run_nodetool "$n" "$@"
}

# Whether PID still exists as more than a zombie. A killed node's main thread turns zombie (waiting to be reaped
# by its new parent) while its other threads are still exiting and its sockets are still open: it is only gone
# when the zombie is the last thread.
proc_alive() {
  local state threads
  [ -r "/proc/$1/status" ] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  threads=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
  [ -n "$state" ] || return 1
  [ "$state" != Z ] || [ "${threads:-1}" -gt 1 ]
}

# Whether node N's ports (CQL, storage, JMX) all refuse connections; waits up to $2 seconds for that.
ports_free() {
  local n=$1 secs=$2 i
  for ((i = 0; i <= secs * 5; i++)); do
    if ! port_in_use "$(node_addr "$n")" 9042 && ! port_in_use "$(node_addr "$n")" 7000 &&
      ! port_in_use 127.0.0.1 "$(jmx_port "$n")"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

wait_gone() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 5; i++)); do
    proc_alive "$pid" || return 0
    sleep 0.2
  done
  return 1
}

cmd_stop_node() {
  [ $# -eq 1 ] || usage
  check_node_arg "$1"
  local n=$1 pid
  pid=$(node_pid "$n")
  if [ -z "$pid" ]; then say "node $n is not running"; rm -f "$(pid_file "$n")"; return 0; fi
  say "stopping node $n (pid $pid): SIGTERM"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    say "node $n still running after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "node $n (pid $pid) did not exit"
  fi
  rm -f "$(pid_file "$n")"
  ports_free "$n" 10 || say "warning: node $n exited but its ports still accept connections"
  say "node $n stopped"
}

cmd_kill_node() {
  [ $# -eq 1 ] || usage
  check_node_arg "$1"
  local n=$1 pid
  pid=$(node_pid "$n")
  if [ -z "$pid" ]; then say "node $n is not running"; rm -f "$(pid_file "$n")"; return 0; fi
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "node $n (pid $pid) did not exit"
  rm -f "$(pid_file "$n")"
  ports_free "$n" 10 || say "warning: node $n exited but its ports still accept connections"
  say "node $n killed (pid $pid)"
}

cmd_start_node() {
  [ $# -eq 1 ] || usage
  check_node_arg "$1"
  local n=$1 total i other="" deadline
  total=$(cluster_nodes)
  [ "$n" -le "$total" ] || die "the cluster has $total node(s), no node $n"
  [ -f "$(node_dir "$n")/conf/cassandra.yaml" ] || die "node $n was never started (run 'start')"
  need_java
  need_lib
  if [ -n "$(node_pid "$n")" ]; then
    say "node $n already running (pid $(node_pid "$n"))"
  else
    launch_node "$n"
  fi
  deadline=$(($(date +%s) + NODE_TIMEOUT))
  wait_node "$n" "$deadline" "$(node_addr "$n")" || exit 1
  # ...and the rest of the cluster has noticed it is back (one other running node's view).
  for ((i = 1; i <= total; i++)); do
    if [ "$i" != "$n" ] && [ -n "$(node_pid "$i")" ]; then other=$i; break; fi
  done
  if [ -n "$other" ]; then
    wait_node "$other" "$deadline" "$(node_addr "$n")" || exit 1
  fi
  say "node $n is UN ($(elapsed "$n") s after start)"
}

cmd_flush() {
  [ $# -eq 0 ] || usage
  local n i
  n=$(cluster_nodes)
  need_java
  need_lib
  for ((i = 1; i <= n; i++)); do
    if [ -n "$(node_pid "$i")" ]; then
      run_nodetool "$i" flush || die "nodetool flush failed on node $i"
      say "node $i flushed"
    fi
  done
}

cmd_teardown() {
  [ $# -eq 0 ] || usage
  local i
  if [ ! -e "$CLUSTER" ]; then say "nothing to tear down ($CLUSTER does not exist)"; return 0; fi
  [ -f "$CLUSTER/$MARKER" ] || die "$CLUSTER is not a cluster directory made by this script; not deleting it"
  # The data is deleted anyway: no need for a graceful drain.
  for ((i = 1; i <= 9; i++)); do
    [ -d "$(node_dir "$i")" ] || continue
    cmd_kill_node "$i"
  done
  rm -rf "$CLUSTER"
  say "removed $CLUSTER"
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
  fetch) cmd_fetch "$@" ;;
  start) cmd_start "$@" ;;
  wait) cmd_wait "$@" ;;
  status) cmd_status "$@" ;;
  nodetool) cmd_nodetool "$@" ;;
  stop-node) cmd_stop_node "$@" ;;
  start-node) cmd_start_node "$@" ;;
  kill-node) cmd_kill_node "$@" ;;
  flush) cmd_flush "$@" ;;
  teardown) cmd_teardown "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
