package commands

import (
	"strings"

	"chatd/state"
)

// sendListReply sends numeric code to c with items, space-separated, as
// its last parameter (RPL_ISON, RPL_USERHOST), over as many lines as it
// takes so that no line passes 512 bytes: a list is split between items,
// never cut inside one. An empty list is one line with an empty list.
func sendListReply(w *state.World, c *state.Client, code string, items []string) {
	sendListReplyWith(w, c, code, items, " ")
}

// sendListReplyWith is sendListReply with another separator between
// items (MONITOR's numerics use commas).
func sendListReplyWith(w *state.World, c *state.Client, code string, items []string, sep string) {
	// ":server CODE nick :" and CRLF around the list.
	budget := state.MaxLineBytes - (len(w.Config.Server.Name) + len(code) + len(c.DisplayNick()) + 7)
	for _, line := range packItems(items, budget, sep) {
		if len(line) > budget {
			// Only a pathological config (a server name or nick hundreds
			// of bytes long) gets here; the encoder will cut the line, so
			// say so rather than lose the end of it unnoticed.
			w.Log.Warn("reply item longer than a line; it will be cut", "code", code, "nick", c.Nick, "bytes", len(line), "budget", budget)
		}
		w.Numeric(c, code, line)
	}
}

// packItems joins items with spaces into lines of at most budget bytes,
// starting a new line rather than splitting an item. An item longer than
// budget gets a line of its own. No items give one empty line.
func packItems(items []string, budget int, sep string) []string {
	lines := []string{}
	var b strings.Builder
	for _, item := range items {
		if b.Len() > 0 && b.Len()+len(sep)+len(item) > budget {
			lines = append(lines, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item)
	}
	if b.Len() > 0 || len(lines) == 0 {
		lines = append(lines, b.String())
	}
	return lines
}
