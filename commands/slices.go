package commands

import (
	"time"

	"chatd/state"
)

// Long replies. No line may make the state goroutine work in proportion to
// the size of the network at once: a reply that can grow with it (WHO and
// ONLINE over every user, LIST and GROUPS over every channel, NAMES of a
// big channel, several targets each with their own reply) is produced in
// slices. A slice ends when it has sent a slice's worth (World.SliceFull)
// or visited visitsPerSlice entries; the rest is left to World.Continue,
// which runs it as an event of its own once other clients' events had
// their turn and the requester has read most of what it was sent. The
// cursor is the casefolded name of the last entry handled, so a slice
// resumes correctly however the world changed in between.

// A slice also ends after visitsPerSlice entries, matching or not, or
// sliceTime, whichever comes first: a mask that matches nobody, or one
// that is slow to match, still yields to others.
const (
	visitsPerSlice = 1000
	sliceTime      = time.Millisecond
)

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

// then runs fn now, or after what the current line left for later.
func then(w *state.World, c *state.Client, fn func()) {
	if w.Pending(c) {
		w.Continue(c, func(*state.World) { fn() })
		return
	}
	fn()
}

// sliceWalk drives an ordered walk in slices. walk visits the entries
// whose key sorts after its first argument (World.UsersFrom,
// World.ChannelsFrom, ...); handle sends what one entry contributes; when
// a slice is full the rest is continued later from the last key handled;
// done (may be nil) runs after the last entry.
func sliceWalk[T any](w *state.World, c *state.Client, walk func(after string, fn func(T) bool), key func(T) string, handle func(T), done func()) {
	after := ""
	var step func(*state.World)
	step = func(*state.World) {
		visited := 0
		stopped := false
		start := time.Now()
		walk(after, func(e T) bool {
			if visited == visitsPerSlice || w.SliceFull(c) || visited%16 == 15 && time.Since(start) > sliceTime {
				stopped = true
				return false
			}
			visited++
			after = key(e)
			handle(e)
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
