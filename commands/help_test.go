package commands

import "testing"

// Every HELP line (a command's title and the lines after it) fits one IRC line for the longest nick and a
// long server name, so no command's description is ever cut short.
func TestHelpLinesFitOneLine(t *testing.T) {
	prefix := len(":" + "irc.a-rather-long-server-name.example.org" + " 705 " + "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" + " * :" + "\r\n")
	for verb, cmd := range newTable() {
		if cmd.usage == "" || cmd.help == "" {
			t.Errorf("%s has no HELP entry", verb)
		}
		if n := prefix + len(helpLine(cmd)); n > 512 {
			t.Errorf("HELP line for %s is %d bytes, over 512", verb, n)
		}
		for _, more := range helpMore[verb] {
			if n := prefix + len(verb) + len(more); n > 512 {
				t.Errorf("HELP %s line %q is %d bytes, over 512", verb, more, n)
			}
		}
	}
}

// Every verb in the table has its place in HELP's index: a course verb, in
// one of helpGroups, or a second name in helpAliases. (A new verb left out
// would still be listed, under "other"; this makes the omission visible.)
// And every verb named there exists.
func TestHelpIndexListsEveryVerb(t *testing.T) {
	tbl := newTable()
	placed := map[string]string{}
	place := func(v, where string) {
		if prev, ok := placed[v]; ok {
			t.Errorf("%s is listed twice in HELP's index: %s and %s", v, prev, where)
		}
		placed[v] = where
		if _, ok := tbl[v]; !ok {
			t.Errorf("HELP's index lists %s (%s), which is not a command", v, where)
		}
	}
	for _, v := range courseVerbs {
		place(v, "course commands")
	}
	for _, g := range helpGroups {
		for _, v := range g.verbs {
			place(v, g.title)
		}
	}
	for alias, of := range helpAliases {
		place(alias, "alias of "+of)
		if _, ok := placed[of]; !ok {
			t.Errorf("%s is an alias of %s, which HELP's index does not list", alias, of)
		}
	}
	for v := range tbl {
		if _, ok := placed[v]; !ok {
			t.Errorf("%s is in no group of HELP's index (help.go helpGroups)", v)
		}
	}
}
