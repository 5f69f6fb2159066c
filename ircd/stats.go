package ircd

import (
	"bytes"
	"strings"
	"sync/atomic"

	"chatd/commands"
)

// Stats are the network side's counters, published for /metrics. Every
// counter is an atomic: reading them never waits for a connection or for
// the state goroutine, and they keep their values through shutdown.
//
// Lines out are counted where the state goroutine queues them (conn's
// Enqueue), without parsing each copy: a broadcast hands the same encoded
// bytes to every recipient, so a run of the same slice is counted as one
// parse and one atomic add (countOut, publishRun). That bookkeeping
// belongs to the state goroutine alone.
type Stats struct {
	index    map[string]int // command -> counter; numerics and "other" follow
	names    []string
	linesIn  []atomic.Uint64
	linesOut []atomic.Uint64

	bytesIn, bytesOut atomic.Uint64
	sendqDrops        atomic.Uint64
	floodDisconnects  atomic.Uint64
	refused           [len(refusalReasons)]atomic.Uint64
	clients           [numKinds][2]atomic.Int64 // by kind, [registered]

	run outRun // state goroutine only
}

// outRun is the line being counted over and over (one broadcast).
type outRun struct {
	line []byte
	idx  int
	n    uint64
}

// refusalReasons label refused connections: the config key whose limit
// refused them, or what the web side refused.
var refusalReasons = [...]string{
	"max_clients", "max_per_ip", "connect_rate", "max_unregistered_per_ip",
	"max_unregistered", "origin", "handshake", "shutting_down", "other",
}

// serverOnlyCommands are commands the server sends that no client sends.
var serverOnlyCommands = []string{"ERROR", "FAIL", "WARN", "NOTE", "BATCH", "ACCOUNT", "CHGHOST"}

func newStats() *Stats {
	s := &Stats{index: make(map[string]int)}
	add := func(name string) {
		if _, ok := s.index[name]; !ok {
			s.index[name] = len(s.names)
			s.names = append(s.names, name)
		}
	}
	for _, v := range commands.Verbs() {
		add(v)
	}
	for _, v := range serverOnlyCommands {
		add(v)
	}
	for n := 0; n < 1000; n++ {
		add(string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)}))
	}
	add("other")
	s.linesIn = make([]atomic.Uint64, len(s.names))
	s.linesOut = make([]atomic.Uint64, len(s.names))
	return s
}

func (s *Stats) commandIndex(cmd string) int {
	if i, ok := s.index[cmd]; ok {
		return i
	}
	if i, ok := s.index[strings.ToUpper(cmd)]; ok {
		return i
	}
	return len(s.names) - 1 // "other"
}

// countIn counts a line a client sent (parsed, n bytes).
func (s *Stats) countIn(cmd string) { s.linesIn[s.commandIndex(cmd)].Add(1) }

// countOut counts a line queued for a client; state goroutine only.
func (s *Stats) countOut(line []byte) {
	r := &s.run
	if len(line) > 0 && len(line) == len(r.line) && &line[0] == &r.line[0] {
		r.n++
		return
	}
	s.publishRun()
	r.line, r.idx, r.n = line, s.outIndex(line), 1
}

// publishRun adds the run counted so far; state goroutine only.
func (s *Stats) publishRun() {
	if r := &s.run; r.n > 0 {
		s.linesOut[r.idx].Add(r.n)
		r.n = 0
	}
}

// outIndex finds the command of an encoded line: after the tags and the
// source, up to the next space.
func (s *Stats) outIndex(line []byte) int {
	if len(line) > 0 && line[0] == '@' {
		if i := bytes.IndexByte(line, ' '); i >= 0 {
			line = line[i+1:]
		}
	}
	if len(line) > 0 && line[0] == ':' {
		if i := bytes.IndexByte(line, ' '); i >= 0 {
			line = line[i+1:]
		}
	}
	if i := bytes.IndexAny(line, " \r\n"); i >= 0 {
		line = line[:i]
	}
	if i, ok := s.index[string(line)]; ok {
		return i
	}
	return len(s.names) - 1
}

// Refused counts a connection refused for reason (one of refusalReasons;
// anything else counts as "other").
func (s *Stats) Refused(reason string) {
	for i, r := range refusalReasons {
		if r == reason {
			s.refused[i].Add(1)
			return
		}
	}
	s.refused[len(refusalReasons)-1].Add(1)
}

// refusedFor counts a refusal by its message, whose last parenthesis
// names the limit: "... (max_per_ip)".
func (s *Stats) refusedFor(why string) {
	reason := "other"
	if i := strings.LastIndexByte(why, '('); i >= 0 && strings.HasSuffix(why, ")") {
		reason = why[i+1 : len(why)-1]
	}
	s.Refused(reason)
}

// EachLineIn calls fn for every command with lines received.
func (s *Stats) EachLineIn(fn func(command string, n uint64)) { each(s.names, s.linesIn, fn) }

// EachLineOut calls fn for every command with lines queued to clients.
func (s *Stats) EachLineOut(fn func(command string, n uint64)) { each(s.names, s.linesOut, fn) }

func each(names []string, counts []atomic.Uint64, fn func(string, uint64)) {
	for i := range counts {
		if n := counts[i].Load(); n > 0 {
			fn(names[i], n)
		}
	}
}

// EachRefusal calls fn for every refusal reason, counted or not.
func (s *Stats) EachRefusal(fn func(reason string, n uint64)) {
	for i, r := range refusalReasons {
		fn(r, s.refused[i].Load())
	}
}

// Clients is the number of open connections of a kind, registered or not.
func (s *Stats) Clients(k Kind, registered bool) int64 {
	if registered {
		return s.clients[k][1].Load()
	}
	return s.clients[k][0].Load()
}

// Kinds lists the transports, for labelling.
func Kinds() []Kind { return []Kind{KindTCP, KindTLS, KindWebSocket} }

func (s *Stats) BytesIn() uint64          { return s.bytesIn.Load() }
func (s *Stats) BytesOut() uint64         { return s.bytesOut.Load() }
func (s *Stats) SendQDrops() uint64       { return s.sendqDrops.Load() }
func (s *Stats) FloodDisconnects() uint64 { return s.floodDisconnects.Load() }
