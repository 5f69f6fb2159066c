package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleRehash re-reads the config file: REHASH (operators). The reading
// and validating happen off the state goroutine (state.Reloader); once the
// new config is in force the operator gets 382, or, when the file is
// broken and nothing changed, FAIL REHASH CONFIG_INVALID with the error.
func handleRehash(w *state.World, c *state.Client, m *irc.Message) error {
	if err := requireOper(c); err != nil {
		return err
	}
	r := w.Reloader()
	if r == nil {
		return fail("REHASH", "CONFIG_INVALID", "There is no config file to re-read")
	}
	w.Log.Info("REHASH", "by", c.Nick, "path", r.ConfigPath())
	path := r.ConfigPath()
	r.Reload(func(w *state.World, err error) {
		if c.Gone() {
			return
		}
		if err != nil {
			sendError(w, c, fail("REHASH", "CONFIG_INVALID", oneLine(err.Error(), 400)))
			return
		}
		w.Numeric(c, irc.RPL_REHASHING, path, "Rehashing")
	})
	return nil
}

// oneLine joins a multi-line error with "; " and cuts it to max bytes, so
// it fits one IRC line.
func oneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
	return truncateUTF8(s, max)
}
