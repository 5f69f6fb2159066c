package main

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	vals := []int64{15, 20, 35, 40, 50}
	for _, tc := range []struct {
		q    float64
		want int64
	}{
		{0.05, 15}, {0.30, 20}, {0.40, 20}, {0.50, 35}, {0.99, 50}, {1, 50}, {0, 15},
	} {
		if got := percentile(append([]int64(nil), vals...), tc.q); got != tc.want {
			t.Errorf("percentile(%v, %v) = %d, want %d", vals, tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %d, want 0", got)
	}
	unsorted := []int64{9, 1, 5, 3, 7}
	if got := percentile(unsorted, 0.5); got != 5 {
		t.Errorf("percentile(unsorted, .5) = %d, want 5", got)
	}
}

func TestHistIndexBounds(t *testing.T) {
	// Every value lands in a bucket whose bounds contain it, indexes are
	// monotonic, and bucket width stays within 1/histSub of the value.
	prev := -1
	for _, v := range []int64{0, 1, 63, 127, 128, 129, 191, 192, 255, 256, 1000, 123456,
		int64(time.Second), int64(time.Hour), 1<<62 + 12345, 1<<63 - 1} {
		i := histIndex(v)
		if i < prev {
			t.Errorf("histIndex(%d) = %d < previous %d", v, i, prev)
		}
		prev = i
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d out of range", v, i)
		}
		lo, hi := histBounds(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d with bounds [%d,%d]", v, i, lo, hi)
		}
		if float64(hi-lo) > float64(lo)/histSub+1 {
			t.Errorf("bucket %d [%d,%d] wider than 1/%d", i, lo, hi, histSub)
		}
	}
	// Adjacent buckets tile the number line.
	for i := 1; i < histBuckets-1; i++ {
		_, hiPrev := histBounds(i - 1)
		lo, _ := histBounds(i)
		if lo != hiPrev+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, lo, hiPrev)
		}
	}
}

func TestHistQuantileMatchesExact(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var h, a, b hist
	var exact []int64
	for i := 0; i < 100000; i++ {
		// Log-normal-ish latencies between ~10µs and ~1s.
		v := int64(10e3 * (1 + r.ExpFloat64()*r.ExpFloat64()*200))
		exact = append(exact, v)
		if i%2 == 0 {
			a.add(v)
		} else {
			b.add(v)
		}
	}
	h.merge(&a)
	h.merge(&b)
	if h.n != uint64(len(exact)) {
		t.Fatalf("merged n = %d, want %d", h.n, len(exact))
	}
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		want := percentile(exact, q)
		got := h.quantile(q)
		if d := float64(got-want) / float64(want); d > 1.0/histSub || d < -1.0/histSub {
			t.Errorf("q%v: hist %d, exact %d (%.2f%% off)", q, got, want, 100*d)
		}
	}
	if h.max != percentile(exact, 1) {
		t.Errorf("max = %d, want %d", h.max, percentile(exact, 1))
	}
	var empty hist
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("empty histogram should report zeros")
	}
}

func TestHistSmallValuesExact(t *testing.T) {
	var h hist
	for v := int64(1); v <= 100; v++ {
		h.add(v)
	}
	if got := h.quantile(0.5); got != 50 {
		t.Errorf("p50 = %d, want 50", got)
	}
	if got := h.quantile(0.99); got != 99 {
		t.Errorf("p99 = %d, want 99", got)
	}
	h.add(-5) // clock skew: clamps to 0
	if got := h.quantile(0.001); got != 0 {
		t.Errorf("p0.1 = %d, want 0", got)
	}
}

func TestPerSecAndFormat(t *testing.T) {
	if got := perSec(1990000, 2310*time.Millisecond); got != 861472 {
		t.Errorf("perSec = %d", got)
	}
	if got := perSec(5, 0); got != 0 {
		t.Errorf("perSec(d=0) = %d", got)
	}
	if got := fmtMs(1234567); got != "1.235ms" {
		t.Errorf("fmtMs = %q", got)
	}
	if got := fmtSec(2310 * time.Millisecond); got != "2.310s" {
		t.Errorf("fmtSec = %q", got)
	}
}

func TestSummary(t *testing.T) {
	var s summary
	s.add("scenario", "fanout")
	s.add("lost", 0)
	s.add("why", "two words")
	s.add("empty", "")
	want := `scenario=fanout lost=0 why="two words" empty=""`
	if got := s.String(); got != want {
		t.Errorf("summary = %s, want %s", got, want)
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tngircd\nVmPeak:\t   12000 kB\nVmRSS:\t    6772 kB\nRssAnon:\t 1000 kB\n"
	v, err := parseVmRSS(strings.NewReader(status))
	if err != nil || v != 6772 {
		t.Errorf("parseVmRSS = %d, %v; want 6772", v, err)
	}
	if _, err := parseVmRSS(strings.NewReader("Name:\tkthreadd\n")); err == nil {
		t.Error("expected an error without a VmRSS line")
	}
}

func TestParseNetstat(t *testing.T) {
	text := "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n" +
		"TcpExt: 0 237 240\n" +
		"IpExt: InNoRoutes ListenOverflows\n" +
		"IpExt: 1 99\n"
	v, err := parseNetstat(strings.NewReader(text), "TcpExt", "ListenOverflows")
	if err != nil || v != 237 {
		t.Errorf("ListenOverflows = %d, %v; want 237", v, err)
	}
	if _, err := parseNetstat(strings.NewReader(text), "TcpExt", "Nope"); err == nil {
		t.Error("expected an error for a missing counter")
	}
}

func TestErrCounts(t *testing.T) {
	m := errCounts{}
	m.add(&stepError{"connect", "refused", "x"})
	m.add(&stepError{"connect", "refused", "y"})
	m.add(&stepError{"register", "timeout", "z"})
	if got := m.String(); got != "connect_refused:2,register_timeout:1" {
		t.Errorf("String = %q", got)
	}
	if m.total() != 3 || m.byKind("refused") != 2 || m.byKind("closed") != 0 {
		t.Errorf("total %d refused %d", m.total(), m.byKind("refused"))
	}
	if (errCounts{}).String() != "none" {
		t.Error("empty counts should render as none")
	}
}
