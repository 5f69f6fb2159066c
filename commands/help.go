package commands

import (
	"sort"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// courseVerbs are the course chat server's commands, listed first by HELP
// in this order; every other verb follows alphabetically.
var courseVerbs = []string{"PM", "CG", "JG", "LG", "GC", "LISTG", "GROUPS", "ONLINE", "HELP"}

// handleHelp answers HELP [<subject>] as Modern describes: 704 with a
// title, 705 lines (the first one empty), 706 to end; 524 alone for an
// unknown subject. With no subject the subject is "*" and every command
// gets one line, the course commands first.
func (t table) handleHelp(w *state.World, c *state.Client, m *irc.Message) error {
	subject := m.Param(0)
	topic := strings.ToUpper(subject)
	if topic == "" {
		w.Numeric(c, state.RplHelpStart, "*", "** chatd help **")
		w.Numeric(c, state.RplHelpTxt, "*", "")
		w.Numeric(c, state.RplHelpTxt, "*", "Course commands (groups are channels; a group name needs no #):")
		isCourse := map[string]bool{}
		for _, v := range courseVerbs {
			isCourse[v] = true
			if cmd, ok := t[v]; ok {
				w.Numeric(c, state.RplHelpTxt, "*", helpLine(cmd))
			}
		}
		w.Numeric(c, state.RplHelpTxt, "*", "IRC commands:")
		verbs := make([]string, 0, len(t))
		for v := range t {
			if !isCourse[v] {
				verbs = append(verbs, v)
			}
		}
		sort.Strings(verbs)
		for _, v := range verbs {
			w.Numeric(c, state.RplHelpTxt, "*", helpLine(t[v]))
		}
		w.Numeric(c, state.RplEndOfHelp, "*", "Type HELP <command> for more about one command")
		return nil
	}
	cmd, ok := t[topic]
	if !ok {
		return numeric(state.ErrHelpNotFound, subject, "No help available on this topic")
	}
	w.Numeric(c, state.RplHelpStart, topic, "** "+topic+" **")
	w.Numeric(c, state.RplHelpTxt, topic, "")
	w.Numeric(c, state.RplHelpTxt, topic, "Usage: "+cmd.usage)
	w.Numeric(c, state.RplEndOfHelp, topic, cmd.help)
	return nil
}

// helpLine is a command's line in the HELP index.
func helpLine(cmd command) string { return cmd.usage + " - " + cmd.help }
