package state

// historyRing holds the newest entries of one target in memory, oldest
// first, at most its capacity. It knows where its knowledge ends: every
// entry of the target with an ord above floor is in it (floor 0: every
// entry ever, or memory is all there is when memoryOnly). Older entries
// are in the store, unless the target is memory-only (a conversation of a
// session without an account), where they are gone.
//
// msgFloor is floor for messages alone (never above floor): every
// message (KindMessage) of the target with an ord above it is in the
// ring. A channel of joins and parts that comes and goes (churn) has a
// floor as new as its last PART but no message since long ago, and a
// replay on join (messages only) is answered from memory instead of by
// the store.
type historyRing struct {
	items      []*HistoryEntry // grows to capacity as entries come, then wraps
	capacity   int
	start, n   int
	floor      uint64
	msgFloor   uint64
	memoryOnly bool
}

func newHistoryRing(capacity int, floor uint64, memoryOnly bool) *historyRing {
	return &historyRing{capacity: max(capacity, 1), floor: floor, msgFloor: floor, memoryOnly: memoryOnly}
}

// push appends e, the newest entry; a full ring forgets its oldest, above
// which it then knows everything.
func (r *historyRing) push(e *HistoryEntry) {
	if r.n == len(r.items) && len(r.items) < r.capacity {
		// Not yet wrapped (start is 0): grow, so that a quiet target
		// costs little.
		items := make([]*HistoryEntry, min(max(2*len(r.items), 8), r.capacity))
		copy(items, r.items)
		r.items = items
	}
	if r.n == len(r.items) {
		old := r.items[r.start]
		r.floor = max(r.floor, old.Ord)
		if old.Kind == KindMessage {
			r.msgFloor = max(r.msgFloor, old.Ord)
		}
		r.items[r.start] = e
		r.start = (r.start + 1) % len(r.items)
		return
	}
	r.items[(r.start+r.n)%len(r.items)] = e
	r.n++
}

// at returns the i-th entry, oldest first.
func (r *historyRing) at(i int) *HistoryEntry { return r.items[(r.start+i)%len(r.items)] }

// forget tells the ring that entries up to ord exist that it does not
// hold (written to the store directly): above ord it still knows all.
func (r *historyRing) forget(ord uint64) {
	r.floor = max(r.floor, ord)
	r.msgFloor = max(r.msgFloor, ord)
}

// floorFor is the floor that holds for rg's kinds.
func (r *historyRing) floorFor(rg HistoryRange) uint64 {
	if rg.MaxKind == KindMessage {
		return r.msgFloor
	}
	return r.floor
}

// resize changes the capacity (REHASH), keeping the newest entries.
func (r *historyRing) resize(capacity int) {
	capacity = max(capacity, 1)
	if capacity == r.capacity {
		return
	}
	keep := min(r.n, capacity)
	items := make([]*HistoryEntry, keep)
	for i := 0; i < keep; i++ {
		items[i] = r.at(r.n - keep + i)
	}
	if keep < r.n {
		r.floor = max(r.floor, r.at(r.n-keep-1).Ord)
		r.msgFloor = max(r.msgFloor, r.at(r.n-keep-1).Ord)
	}
	r.items, r.capacity, r.start, r.n = items, capacity, 0, keep
}

// query answers rg from memory. exact says whether the answer is the
// whole truth; when it is not, the store must be asked.
func (r *historyRing) query(rg HistoryRange) (out []*HistoryEntry, exact bool) {
	if r == nil {
		return nil, true
	}
	floor := r.floorFor(rg)
	whole := floor == 0 || r.memoryOnly
	if rg.FromEnd {
		lowest := uint64(0)
		for i := r.n - 1; i >= 0 && len(out) < rg.Limit; i-- {
			e := r.at(i)
			if e.Ord >= rg.Hi {
				continue
			}
			if e.Ord <= rg.Lo {
				break
			}
			if e.Kind <= rg.MaxKind {
				out = append(out, e)
				lowest = e.Ord
			}
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		// Enough entries, none at or below the floor: nothing can be
		// missing between them. Otherwise only a whole ring, or a range
		// that ends above the floor, is sure.
		switch {
		case whole:
			return out, true
		case len(out) == rg.Limit && lowest > floor:
			return out, true
		default:
			return out, rg.Lo >= floor
		}
	}
	for i := 0; i < r.n && len(out) < rg.Limit; i++ {
		e := r.at(i)
		if e.Ord <= rg.Lo {
			continue
		}
		if e.Ord >= rg.Hi {
			break
		}
		if e.Kind <= rg.MaxKind {
			out = append(out, e)
		}
	}
	return out, whole || rg.Lo >= floor
}

// last returns the newest entry of kind <= maxKind, or nil.
func (r *historyRing) last(maxKind HistoryKind) *HistoryEntry {
	if r == nil {
		return nil
	}
	for i := r.n - 1; i >= 0; i-- {
		if e := r.at(i); e.Kind <= maxKind {
			return e
		}
	}
	return nil
}

// snapRing is a ring as a snapshot keeps it: its entries, oldest first.
type snapRing struct {
	Entries  []*HistoryEntry `json:"entries,omitempty"`
	Capacity int             `json:"capacity"`
	Floor    uint64          `json:"floor,omitempty"`
	// MsgBelow is how far msgFloor is below Floor (0, msgFloor = Floor,
	// in a snapshot made before there was one).
	MsgBelow   uint64 `json:"msg_below,omitempty"`
	MemoryOnly bool   `json:"memory_only,omitempty"`
}

// snapshot is r as data (nil for no ring).
func (r *historyRing) snapshot() *snapRing {
	if r == nil {
		return nil
	}
	s := &snapRing{Capacity: r.capacity, Floor: r.floor, MsgBelow: r.floor - r.msgFloor, MemoryOnly: r.memoryOnly}
	for i := 0; i < r.n; i++ {
		s.Entries = append(s.Entries, r.at(i))
	}
	return s
}

// ring rebuilds the ring a snapshot kept.
func (s *snapRing) ring() *historyRing {
	if s == nil {
		return nil
	}
	r := newHistoryRing(s.Capacity, s.Floor, s.MemoryOnly)
	for _, e := range s.Entries {
		r.push(e)
	}
	r.floor = s.Floor
	r.msgFloor = s.Floor - min(s.MsgBelow, s.Floor)
	return r
}

// canonical is what World.Dump shows of a ring: where its entries sit
// in its array depends on its past, not on what it holds.
func (r *historyRing) canonical() any { return r.snapshot() }

// remove takes the entry ord out of the ring (a redacted message) and
// reports whether it was there. The ring still knows everything above
// its floor: the entry no longer exists anywhere.
func (r *historyRing) remove(ord uint64) bool {
	for i := 0; i < r.n; i++ {
		if r.at(i).Ord != ord {
			continue
		}
		for j := i; j < r.n-1; j++ {
			r.items[(r.start+j)%len(r.items)] = r.at(j + 1)
		}
		r.items[(r.start+r.n-1)%len(r.items)] = nil
		r.n--
		return true
	}
	return false
}
