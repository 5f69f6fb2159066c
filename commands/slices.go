package commands

import "chatd/state"

// Long replies. No line may make the state goroutine work in proportion to
// the size of the network at once: a reply that can grow with it (WHO and
// ONLINE over every user, LIST and GROUPS over every channel, NAMES of a
// big channel, several targets each with their own reply) is produced in
// slices. A slice ends when it has sent a slice's worth (World.SliceFull)
// or done a slice's worth of work (workPerSlice); the rest is left to
// World.Continue,
// which runs it as an event of its own once other clients' events had
// their turn and the requester has read most of what it was sent. The
// cursor is the casefolded name of the last entry handled, so a slice
// resumes correctly however the world changed in between.

// workPerSlice is the work one slice may do, in units of one entry
// visited (matching or not, so a mask that matches nobody still yields);
// an entry that is slow to look at (a long wildcard mask against long
// names) costs more units (matchCost). The cut is counted, not timed, so
// it falls at the same place whatever the machine is doing: where a reply
// is cut never depends on the clock.
const workPerSlice = 1000

// eachTarget calls fn for each target in order. Once a target's reply was
// left partly for later, the remaining targets wait behind it, in a step
// of their own, so replies keep the order of the targets; done (may be
// nil) runs after the last one, e.g. for a closing numeric.
func eachTarget[T any](w *state.World, c *state.Client, list []T, fn func(T), done func()) {
	for i, t := range list {
		fn(t)
		if w.Pending(c) {
			rest := list[i+1:]
			w.Continue(c, func(w *state.World) { eachTarget(w, c, rest, fn, done) })
			return
		}
	}
	if done != nil {
		done()
	}
}

// sliceWalk drives an ordered walk in slices. walk visits the entries
// whose key sorts after its first argument (World.UsersFrom,
// World.ChannelsFrom, ...); handle sends what one entry contributes and
// returns the work it did in units (at least 1 is counted); when a slice
// is full the rest is continued later from the last key handled; done
// (may be nil) runs after the last entry.
func sliceWalk[T any](w *state.World, c *state.Client, walk func(after string, fn func(T) bool), key func(T) string, handle func(T) int, done func()) {
	after := ""
	var step func(*state.World)
	step = func(*state.World) {
		work := 0
		stopped := false
		walk(after, func(e T) bool {
			if work >= workPerSlice || w.SliceFull(c) {
				stopped = true
				return false
			}
			after = key(e)
			work += max(1, handle(e))
			return true
		})
		if stopped {
			w.Continue(c, step)
			return
		}
		if done != nil {
			done()
		}
	}
	step(w)
}

// matchCost is the work, in entries, of matching a wildcard mask against
// fields of total length n: the matcher may try the mask at every offset
// of the text, so the cost grows with both lengths.
func matchCost(mask string, n int) int { return 1 + len(mask)*n/4096 }
