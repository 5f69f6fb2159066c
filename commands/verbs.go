package commands

import "sort"

// Verbs lists every command the dispatch table knows, sorted: the
// network side labels its per-command metrics with them (anything else
// is "other", so a client cannot make up label values).
func Verbs() []string {
	t := newTable()
	out := make([]string, 0, len(t))
	for v := range t {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
