package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "requests.bin")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func frame(msgs ...string) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(m)))
		b.Write(n[:])
		b.WriteString(m)
	}
	return b.Bytes()
}

func TestReadRequests(t *testing.T) {
	got, err := readRequests(writeFile(t, frame("ab", "", "cde")))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0]) != "ab" || len(got[1]) != 0 || string(got[2]) != "cde" {
		t.Fatalf("got %q", got)
	}
}

func TestReadRequestsRejectsTruncatedAndEmpty(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     {},
		"short len": {0, 0, 1},
		"short msg": frame("abcd")[:6],
	} {
		if _, err := readRequests(writeFile(t, data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]float64{0.5: 500, 0.99: 990, 0.999: 999} {
		if got := percentile(d, q); got != want {
			t.Errorf("p%v = %v, want %v", q, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("empty")
	}
}

func TestRunRefusesMissingFlagsAndBadHeader(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-n", "1"}, &out); err == nil {
		t.Error("missing -addr accepted")
	}
	p := writeFile(t, frame(""))
	err := run([]string{"-addr", "127.0.0.1:1", "-method", "/a.B/C", "-requests", p, "-H", "no-colon"}, &out)
	if err == nil || !strings.Contains(err.Error(), "bad -H") {
		t.Errorf("bad header: %v", err)
	}
}
