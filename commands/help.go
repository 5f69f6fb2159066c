package commands

import (
	"sort"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleHelp answers HELP with every command and one line each, or with one
// command's usage (704 start, 705 text, 706 end; 524 for an unknown topic).
func (t table) handleHelp(w *state.World, c *state.Client, m *irc.Message) error {
	topic := strings.ToUpper(m.Param(0))
	if topic == "" {
		verbs := make([]string, 0, len(t))
		for v := range t {
			verbs = append(verbs, v)
		}
		sort.Strings(verbs)
		w.Numeric(c, state.RplHelpStart, "index", "chatd commands (HELP <command> for details). Course commands: PM CG JG LG GC LISTG GROUPS ONLINE HELP")
		for _, v := range verbs {
			w.Numeric(c, state.RplHelpTxt, "index", t[v].usage+" - "+t[v].help)
		}
		w.Numeric(c, state.RplEndOfHelp, "index", "End of /HELP")
		return nil
	}
	cmd, ok := t[topic]
	if !ok {
		return numeric(state.ErrHelpNotFound, topic, "No help available on this topic")
	}
	w.Numeric(c, state.RplHelpStart, topic, cmd.usage)
	w.Numeric(c, state.RplHelpTxt, topic, cmd.help)
	w.Numeric(c, state.RplEndOfHelp, topic, "End of /HELP")
	return nil
}
