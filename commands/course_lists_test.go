package commands_test

import (
	"strings"
	"testing"

	"chatd/state"
)

// ONLINE over a thousand users: as many names as fit go on each NOTICE
// line, no line passes 512 bytes, every user is named exactly once in nick
// order (across the slices the reply comes in), and the count at the end
// is of everyone.
func TestOnlinePacksEveryoneIntoLines(t *testing.T) {
	sw := newSliceWorld(t, 1000)
	a, outA := sw.client("alice")
	sw.send(a, "ONLINE")
	for range 100 {
		if count(outA.snapshot(), "people online") > 0 {
			break
		}
		outA.drain()
		sw.barrier()
	}
	lines := outA.snapshot()
	var names []string
	for i, l := range lines {
		if len(l)+2 > state.MaxLineBytes {
			t.Errorf("line %d is %d bytes: %q", i, len(l)+2, l)
		}
		text, ok := strings.CutPrefix(l, ":chatd.test NOTICE alice :")
		if !ok {
			t.Fatalf("line %d is not a NOTICE to alice: %q", i, l)
		}
		if i == len(lines)-1 {
			if text != "1001 people online." {
				t.Errorf("last line %q, want the count of everyone", text)
			}
			break
		}
		if i == 0 {
			text, ok = strings.CutPrefix(text, "Online now: ")
			if !ok {
				t.Fatalf("first line %q does not say what it is", l)
			}
		}
		for _, name := range strings.Split(strings.TrimSuffix(text, ","), ", ") {
			names = append(names, strings.TrimSuffix(name, " (you)"))
		}
	}
	if len(names) != 1001 {
		t.Fatalf("%d names in %d lines, want 1001 (1000 users and alice)", len(names), len(lines))
	}
	if len(lines) > 40 {
		t.Errorf("%d lines for 1001 short names: not packed", len(lines))
	}
	for i := 1; i < len(names); i++ {
		if state.Fold(names[i-1]) >= state.Fold(names[i]) {
			t.Fatalf("names out of order or repeated: %s then %s", names[i-1], names[i])
		}
	}
}
