package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Latency histogram with bounded relative error.
//
// Values below 2*histSub are counted exactly; above that, every power of
// two is split into histSub equal sub-buckets, so a bucket's width is at
// most 1/histSub (≈1.6%) of its lower bound. A histogram is a fixed
// ~15 KB array, so each receiving connection can own one without locking
// and they are merged at the end.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits // sub-buckets per power of two
	histBuckets = (63-histSubBits)*histSub + 2*histSub
)

type hist struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
	sum    float64
}

func histIndex(v int64) int {
	if v < 0 {
		v = 0
	}
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (histSubBits + 1)
	sub := int(v >> uint(shift)) // in [histSub, 2*histSub)
	return shift*histSub + sub
}

// histBounds returns the smallest and largest value that map to bucket i.
func histBounds(i int) (lo, hi int64) {
	if i < 2*histSub {
		return int64(i), int64(i)
	}
	shift := i/histSub - 1
	sub := int64(i%histSub + histSub)
	lo = sub << uint(shift)
	hi = (sub+1)<<uint(shift) - 1
	return lo, hi
}

func (h *hist) add(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)]++
	h.n++
	h.sum += float64(v)
	if v > h.max {
		h.max = v
	}
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the nearest-rank q-quantile (0 < q <= 1), approximated
// by the midpoint of its bucket and clamped to the observed maximum.
func (h *hist) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := nearestRank(q, int(min(h.n, math.MaxInt)))
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= uint64(rank) {
			lo, hi := histBounds(i)
			return min(lo+(hi-lo)/2, h.max)
		}
	}
	return h.max
}

func (h *hist) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// nearestRank returns the 1-based nearest rank for quantile q of n samples.
func nearestRank(q float64, n int) int {
	r := int(math.Ceil(q * float64(n)))
	if r < 1 {
		r = 1
	}
	if r > n {
		r = n
	}
	return r
}

// percentile returns the exact nearest-rank q-quantile of vals (which it
// sorts in place). It returns 0 for an empty slice.
func percentile(vals []int64, q float64) int64 {
	if len(vals) == 0 {
		return 0
	}
	slices.Sort(vals)
	return vals[nearestRank(q, len(vals))-1]
}

// fmtMs formats nanoseconds as milliseconds with a fixed unit.
func fmtMs(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64) + "ms"
}

// fmtSec formats a duration as seconds with a fixed unit.
func fmtSec(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

// perSec returns n/d rounded to an integer, 0 if d is not positive.
func perSec(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Round(float64(n) / d.Seconds()))
}

// summary builds the single key=value result line printed to stdout.
type summary struct {
	parts []string
}

func (s *summary) add(key string, val any) {
	v := fmt.Sprint(val)
	if v == "" || strings.ContainsAny(v, " \t\n") {
		v = strconv.Quote(v)
	}
	s.parts = append(s.parts, key+"="+v)
}

func (s *summary) String() string { return strings.Join(s.parts, " ") }

// parseVmRSS extracts the VmRSS value (kB) from /proc/PID/status text.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("VmRSS:")) {
			continue
		}
		f := bytes.Fields(line[len("VmRSS:"):])
		if len(f) < 1 {
			break
		}
		v, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS: %v", err)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS line (kernel thread or exited process?)")
}

// parseNetstat returns the value of counter name in group (e.g. "TcpExt",
// "ListenOverflows") from /proc/net/netstat text, which holds pairs of
// "Group: names..." and "Group: values..." lines.
func parseNetstat(r io.Reader, group, name string) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := group + ":"
	var names []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != prefix {
			continue
		}
		if names == nil {
			names = f[1:]
			continue
		}
		for i, n := range names {
			if n == name && i+1 < len(f) {
				return strconv.ParseInt(f[i+1], 10, 64)
			}
		}
		break
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s %s not found", group, name)
}

// listenOverflows reads the system-wide count of connections dropped
// because a listen queue was full (TcpExt ListenOverflows), or -1.
// The delta over a run shows when a server's accept backlog, not its
// processing, limited connection setup (SYNs are then retried after 1s).
func listenOverflows() int64 {
	f, err := os.Open("/proc/net/netstat")
	if err != nil {
		return -1
	}
	defer f.Close()
	v, err := parseNetstat(f, "TcpExt", "ListenOverflows")
	if err != nil {
		return -1
	}
	return v
}

// overflowDelta formats the ListenOverflows change since before.
func overflowDelta(before int64) int64 {
	after := listenOverflows()
	if before < 0 || after < 0 {
		return -1
	}
	return after - before
}
