package commands

import (
	"reflect"
	"strings"
	"testing"
)

func TestPackItems(t *testing.T) {
	for _, tc := range []struct {
		items  []string
		budget int
		want   []string
	}{
		{nil, 10, []string{""}},
		{[]string{"a", "b", "c"}, 10, []string{"a b c"}},
		{[]string{"aaaa", "bbbb", "cccc"}, 9, []string{"aaaa bbbb", "cccc"}},
		{[]string{"aaaa", "bbbb", "cccc"}, 8, []string{"aaaa", "bbbb", "cccc"}},
		// An item longer than a line still goes, alone (the caller logs it).
		{[]string{"a", "bbbbbbbbbbbb", "c"}, 5, []string{"a", "bbbbbbbbbbbb", "c"}},
	} {
		if got := packItems(tc.items, tc.budget, " "); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("packItems(%q, %d) = %q, want %q", tc.items, tc.budget, got, tc.want)
		}
	}
	// However the items fall, joining the lines gives the list back and
	// no line passes the budget.
	var items []string
	for i := range 200 {
		items = append(items, strings.Repeat("n", 1+i%37))
	}
	lines := packItems(items, 100, " ")
	if strings.Join(lines, " ") != strings.Join(items, " ") {
		t.Fatal("packing lost or reordered items")
	}
	for _, l := range lines {
		if len(l) > 100 {
			t.Fatalf("line of %d bytes over a budget of 100", len(l))
		}
	}
}
