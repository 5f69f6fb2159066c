package state

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/btree"
)

// Kline is a server ban: a client whose nick!user@host matches Mask is
// refused at registration, and one online when the ban is set is
// disconnected. Matching (wildcards, casemapping) is the caller's.
type Kline struct {
	Mask    string    `json:"mask"`
	Reason  string    `json:"reason"`
	SetBy   string    `json:"set_by"`
	SetAt   time.Time `json:"set_at"`
	Expires time.Time `json:"expires,omitzero"` // zero for a permanent ban
}

// Expired reports whether the ban has run out at now.
func (k *Kline) Expired(now time.Time) bool {
	return !k.Expires.IsZero() && !now.Before(k.Expires)
}

// K-lines are kept in a B-tree ordered oldest first (by SetAt, then
// folded mask) with a map from folded mask to entry, so that adding or
// lifting one costs O(log n) on the state goroutine, a long listing can
// go on from a cursor (the last one shown), and saving costs O(1) here:
// the file writer gets a snapshot (a copy-on-write clone of the tree) and
// encodes it on its own goroutine.
//
// Matching a connecting client does not walk the list: klineIndex files
// each K-line under the literal part of its mask that a client must have,
// and only those filed under the client's host or nick (and the few with
// wildcards in both) are candidates.

// klineItem is one K-line in the tree. Items are never changed once in the
// tree (snapshots share them): a replacement is a new item.
type klineItem struct {
	key string // Fold(Mask)
	Kline
}

func klineLess(a, b *klineItem) bool {
	if c := a.SetAt.Compare(b.SetAt); c != 0 {
		return c < 0
	}
	return a.key < b.key
}

// klineSet is the K-lines in force, on the state goroutine.
type klineSet struct {
	tree  *btree.BTreeG[*klineItem] // oldest first
	byKey map[string]*klineItem
	index klineIndex
}

func (s *klineSet) init() {
	if s.tree == nil {
		s.tree = btree.NewG(16, klineLess)
		s.byKey = map[string]*klineItem{}
		s.index = newKlineIndex()
	}
}

// KlineCursor marks a place in a listing of K-lines: EachKline goes on
// after it. The zero value is the start.
type KlineCursor struct {
	setAt time.Time
	key   string
	set   bool
}

// cursor is the place just after k.
func (k *Kline) cursor() KlineCursor {
	return KlineCursor{setAt: k.SetAt, key: Fold(k.Mask), set: true}
}

// KlineStore keeps K-lines across restarts. Save is called on the state
// goroutine after every change with a snapshot of the K-lines; it must not
// block or do I/O itself (hand the snapshot to another goroutine, keeping
// only the newest, and encode it there).
type KlineStore interface {
	Save(snapshot KlineSnapshot)
}

// KlineSnapshot is the K-lines at one moment. Taking one costs O(1); it
// does not change when the world's K-lines do, and may be read on any one
// goroutine.
type KlineSnapshot struct {
	tree *btree.BTreeG[*klineItem]
}

// Encode renders the snapshot as the K-line file holds it (JSON), oldest
// first, without the K-lines expired at now.
func (s KlineSnapshot) Encode(now time.Time) ([]byte, error) {
	list := []Kline{}
	if s.tree != nil {
		s.tree.Ascend(func(it *klineItem) bool {
			if !it.Expired(now) {
				list = append(list, it.Kline)
			}
			return true
		})
	}
	return EncodeKlines(list)
}

// SetKlineStore sets where changed K-lines go. Call it before Run.
func (w *World) SetKlineStore(s KlineStore) { w.klineStore = s }

// LoadKlines replaces the K-lines (those already expired are dropped)
// without saving them. Call it before Run, or on the state goroutine.
func (w *World) LoadKlines(list []Kline) {
	w.klines = klineSet{}
	w.klines.init()
	now := w.Now()
	for _, k := range list {
		if !k.Expired(now) {
			w.klines.put(k)
		}
	}
}

// put adds or replaces k; it reports whether one was replaced.
func (s *klineSet) put(k Kline) bool {
	it := &klineItem{key: Fold(k.Mask), Kline: k}
	old, replaced := s.byKey[it.key]
	if replaced {
		s.tree.Delete(old)
		s.index.remove(old)
	}
	s.byKey[it.key] = it
	s.tree.ReplaceOrInsert(it)
	s.index.add(it)
	return replaced
}

func (s *klineSet) delete(key string) (Kline, bool) {
	old, ok := s.byKey[key]
	if !ok {
		return Kline{}, false
	}
	delete(s.byKey, key)
	s.tree.Delete(old)
	s.index.remove(old)
	return old.Kline, true
}

// AddKline adds k, replacing a K-line with the same mask (compared
// casemapping-aware), and saves. It reports whether one was replaced.
// O(log n).
func (w *World) AddKline(k Kline) (replaced bool) {
	w.klines.init()
	replaced = w.klines.put(k)
	w.saveKlines()
	return replaced
}

// RemoveKline lifts the K-line on mask and saves; ok is false when there
// was none. O(log n).
func (w *World) RemoveKline(mask string) (removed Kline, ok bool) {
	w.klines.init()
	removed, ok = w.klines.delete(Fold(mask))
	if ok {
		w.saveKlines()
	}
	return removed, ok
}

// KlineCount is the number of K-lines kept (some may have expired).
func (w *World) KlineCount() int {
	w.klines.init()
	return w.klines.tree.Len()
}

// EachKline calls fn for the K-lines in force, oldest first, starting
// after the cursor (the zero KlineCursor: from the start), until fn
// returns false; fn gets the cursor to go on from after k. A long listing
// keeps the cursor of the last one it showed and goes on later. Expired
// K-lines are skipped, and dropped.
func (w *World) EachKline(from KlineCursor, fn func(k *Kline, next KlineCursor) bool) {
	w.klines.init()
	now := w.Now()
	var expired []string
	visit := func(it *klineItem) bool {
		if from.set && it.key == from.key && it.SetAt.Equal(from.setAt) {
			return true // the last one shown
		}
		if it.Expired(now) {
			expired = append(expired, it.key)
			return true
		}
		k := it.Kline
		return fn(&k, k.cursor())
	}
	if from.set {
		w.klines.tree.AscendGreaterOrEqual(&klineItem{key: from.key, Kline: Kline{SetAt: from.setAt}}, visit)
	} else {
		w.klines.tree.Ascend(visit)
	}
	w.dropExpired(expired)
}

// KlineCandidates calls fn, in folded mask order, for the K-lines in force that
// could match a client with this nick and host: those filed under the
// host or the nick, and those with wildcards in both. It is what keeps
// checking a connecting client cheap however many K-lines there are. fn
// returns false to stop.
func (w *World) KlineCandidates(nick, host string, fn func(k *Kline) bool) {
	w.klines.init()
	now := w.Now()
	cands := w.klines.index.candidates(Fold(nick), Fold(host))
	var expired []string
	for _, it := range cands {
		if it.Expired(now) {
			expired = append(expired, it.key)
			continue
		}
		k := it.Kline
		if !fn(&k) {
			break
		}
	}
	w.dropExpired(expired)
}

func (w *World) dropExpired(keys []string) {
	for _, key := range keys {
		w.klines.delete(key)
	}
}

// Klines returns a copy of the K-lines in force, oldest first. It costs
// O(n): for tests and small lists; listings use EachKline.
func (w *World) Klines() []Kline {
	var list []Kline
	w.EachKline(KlineCursor{}, func(k *Kline, _ KlineCursor) bool {
		list = append(list, *k)
		return true
	})
	return list
}

// saveKlines hands the store a snapshot: O(1) here, the encoding is done
// by the store's own goroutine.
func (w *World) saveKlines() {
	if w.klineStore != nil {
		w.klineStore.Save(KlineSnapshot{tree: w.klines.tree.Clone()})
	}
}

// klineIndex files K-lines by the literal part of their mask a client must
// have: an exact host (*!*@192.0.2.1, nick!*@192.0.2.1), a host prefix
// (*!*@192.0.2.*, the usual range ban: chatd shows addresses, not names),
// or, for a host that is all wildcards, an exact nick (spammer!*@*).
// The rest (wildcards in both) is kept apart and always a candidate.
type klineIndex struct {
	hosts    map[string]map[string]*klineItem // exact folded host
	prefixes map[string]map[string]*klineItem // folded host prefix before a final '*'
	lengths  map[int]int                      // prefix lengths in use, with their counts
	nicks    map[string]map[string]*klineItem // exact folded nick, host all wildcards
	others   map[string]*klineItem
}

func newKlineIndex() klineIndex {
	return klineIndex{
		hosts:    map[string]map[string]*klineItem{},
		prefixes: map[string]map[string]*klineItem{},
		lengths:  map[int]int{},
		nicks:    map[string]map[string]*klineItem{},
		others:   map[string]*klineItem{},
	}
}

// klineFiling is where an item is filed: kind and the literal.
type klineFiling int

const (
	fileOther klineFiling = iota
	fileHost
	filePrefix
	fileNick
)

func fileKline(key string) (klineFiling, string) {
	nick, host := key, ""
	if bang := strings.IndexByte(key, '!'); bang >= 0 {
		nick = key[:bang]
	}
	if at := strings.LastIndexByte(key, '@'); at >= 0 {
		host = key[at+1:]
	} else {
		return fileOther, ""
	}
	wild := func(s string) bool { return strings.ContainsAny(s, "*?") }
	switch {
	case host != "" && !wild(host):
		return fileHost, host
	case len(host) > 1 && strings.IndexAny(host, "*?") == len(host)-1 && host[len(host)-1] == '*':
		return filePrefix, host[:len(host)-1]
	case strings.Trim(host, "*") == "" && nick != "" && !wild(nick):
		return fileNick, nick
	}
	return fileOther, ""
}

func (x *klineIndex) add(it *klineItem) {
	kind, lit := fileKline(it.key)
	switch kind {
	case fileHost:
		addTo(x.hosts, lit, it)
	case filePrefix:
		addTo(x.prefixes, lit, it)
		x.lengths[len(lit)]++
	case fileNick:
		addTo(x.nicks, lit, it)
	default:
		x.others[it.key] = it
	}
}

func (x *klineIndex) remove(it *klineItem) {
	kind, lit := fileKline(it.key)
	switch kind {
	case fileHost:
		removeFrom(x.hosts, lit, it.key)
	case filePrefix:
		removeFrom(x.prefixes, lit, it.key)
		if x.lengths[len(lit)]--; x.lengths[len(lit)] == 0 {
			delete(x.lengths, len(lit))
		}
	case fileNick:
		removeFrom(x.nicks, lit, it.key)
	default:
		delete(x.others, it.key)
	}
}

func addTo(m map[string]map[string]*klineItem, lit string, it *klineItem) {
	b := m[lit]
	if b == nil {
		b = map[string]*klineItem{}
		m[lit] = b
	}
	b[it.key] = it
}

func removeFrom(m map[string]map[string]*klineItem, lit, key string) {
	if b := m[lit]; b != nil {
		delete(b, key)
		if len(b) == 0 {
			delete(m, lit)
		}
	}
}

// candidates returns the items that could match nick!*@host (folded), in
// key order. Its cost is the number of prefix lengths in use plus the
// candidates, not the number of K-lines.
func (x *klineIndex) candidates(nick, host string) []*klineItem {
	var out []*klineItem
	collect := func(b map[string]*klineItem) {
		for _, it := range b {
			out = append(out, it)
		}
	}
	collect(x.hosts[host])
	for n := range x.lengths {
		if n <= len(host) {
			collect(x.prefixes[host[:n]])
		}
	}
	collect(x.nicks[nick])
	collect(x.others)
	slices.SortFunc(out, func(a, b *klineItem) int { return strings.Compare(a.key, b.key) })
	return out
}

// EncodeKlines renders K-lines as the K-line file holds them (JSON).
func EncodeKlines(list []Kline) ([]byte, error) {
	if list == nil {
		list = []Kline{}
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// DecodeKlines parses what EncodeKlines wrote.
func DecodeKlines(data []byte) ([]Kline, error) {
	var list []Kline
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("K-line file: %w", err)
	}
	for i, k := range list {
		if k.Mask == "" {
			return nil, fmt.Errorf("K-line file: entry %d has no mask", i+1)
		}
	}
	return list, nil
}
