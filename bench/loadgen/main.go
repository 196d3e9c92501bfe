// crs-loadgen: a lean unary gRPC load generator for bench/run.py.
//
// ghz, which the benchmark used before, spent 250-1,500 CPU-µs per call on this project's calls (dynamic
// protobuf, per-request templating, a per-request detail record), more for larger responses. On a 2-core
// machine that is CPU taken from the server under test, and more of it during the lookups than during Ping. This client sends requests that are already serialized (a file of length-prefixed protobuf
// messages, written by bench/run.py), through a raw-bytes codec, so it does no protobuf work of its own.
//
//	crs-loadgen -addr 127.0.0.1:50051 -method /crs.v1.CardService/LookupCard -requests FILE \
//	    -n 5000 -c 16 [-rps 500] [-timeout 10s] [-H 'authorization: Bearer ...']
//
// One HTTP/2 connection per concurrent caller (as ghz --connections = -c); requests are taken from the
// file round robin. With -rps, call i starts at i/rps seconds (a fixed schedule: a slow call delays later
// starts only when all -c callers are busy). Prints one JSON object: counts per status code, rate, latency
// percentiles of the successful calls, and the generator's own CPU time.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawCodec passes bytes through: requests are serialized already, responses are only counted.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	*b = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" } // the content-subtype the server expects

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

type report struct {
	Count      int            `json:"count"`
	Codes      map[string]int `json:"codes"`
	Seconds    float64        `json:"seconds"`
	RPS        float64        `json:"rps"`
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	P999Ms     float64        `json:"p999_ms"`
	CPUSeconds float64        `json:"cpu_seconds"`
}

// readRequests reads messages each prefixed by its length as a 4-byte big-endian integer.
func readRequests(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 4 {
			return nil, errors.New("truncated length prefix")
		}
		n := int(binary.BigEndian.Uint32(data))
		if len(data) < 4+n {
			return nil, errors.New("truncated message")
		}
		out = append(out, data[4:4+n])
		data = data[4+n:]
	}
	if len(out) == 0 {
		return nil, errors.New("no requests in file")
	}
	return out, nil
}

func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return float64(sorted[i]) / 1e6
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("crs-loadgen", flag.ContinueOnError)
	addr := fs.String("addr", "", "server host:port")
	method := fs.String("method", "", "full method, /package.Service/Method")
	reqFile := fs.String("requests", "", "file of length-prefixed serialized requests")
	total := fs.Int("n", 1000, "calls in all")
	conc := fs.Int("c", 16, "concurrent callers, one connection each")
	rps := fs.Float64("rps", 0, "fixed start rate (0: as fast as the callers go)")
	timeout := fs.Duration("timeout", 10*time.Second, "deadline of each call")
	version := fs.Bool("version", false, "print the version and exit")
	var hdrs headers
	fs.Var(&hdrs, "H", "metadata 'key: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version {
		_, err := fmt.Fprintf(stdout, "crs-loadgen (grpc-go %s)\n", grpc.Version)
		return err
	}
	if *addr == "" || *method == "" || *reqFile == "" || *total < 1 || *conc < 1 {
		return errors.New("-addr, -method, -requests, -n >= 1 and -c >= 1 are required")
	}
	reqs, err := readRequests(*reqFile)
	if err != nil {
		return fmt.Errorf("%s: %w", *reqFile, err)
	}
	var md metadata.MD
	for _, h := range hdrs {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("bad -H %q: want 'key: value'", h)
		}
		md = metadata.Join(md, metadata.Pairs(strings.TrimSpace(k), strings.TrimSpace(v)))
	}
	conns := make([]*grpc.ClientConn, *conc)
	for i := range conns {
		cc, err := grpc.NewClient(*addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
		if err != nil {
			return err
		}
		defer cc.Close()
		cc.Connect()
		conns[i] = cc
	}
	base := metadata.NewOutgoingContext(context.Background(), md)

	var next atomic.Int64 // calls handed out so far
	var interval time.Duration
	if *rps > 0 {
		interval = time.Duration(float64(time.Second) / *rps)
	}
	latencies := make([][]time.Duration, *conc)
	codes := make([]map[string]int, *conc)
	cpu0, t0 := cpuSeconds(), time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		codes[w] = map[string]int{}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var resp []byte
			for {
				i := next.Add(1) - 1
				if i >= int64(*total) {
					return
				}
				if interval > 0 { // call i starts at t0 + i*interval: a schedule, so a late call does not shift the rest
					if wait := time.Until(t0.Add(time.Duration(i) * interval)); wait > 0 {
						time.Sleep(wait)
					}
				}
				req := reqs[int(i)%len(reqs)]
				ctx, cancel := context.WithTimeout(base, *timeout)
				began := time.Now()
				err := conns[w].Invoke(ctx, *method, &req, &resp)
				took := time.Since(began)
				cancel()
				code := status.Code(err).String()
				codes[w][code]++
				if err == nil {
					latencies[w] = append(latencies[w], took)
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	var ok []time.Duration
	all := map[string]int{}
	for w := range latencies {
		ok = append(ok, latencies[w]...)
		for k, v := range codes[w] {
			all[k] += v
		}
	}
	sort.Slice(ok, func(a, b int) bool { return ok[a] < ok[b] })
	r := report{
		Count: *total, Codes: all, Seconds: elapsed, RPS: float64(*total) / elapsed,
		P50Ms: percentile(ok, 0.50), P99Ms: percentile(ok, 0.99), P999Ms: percentile(ok, 0.999),
		CPUSeconds: cpu,
	}
	return json.NewEncoder(stdout).Encode(r)
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crs-loadgen:", err)
		os.Exit(2)
	}
}
