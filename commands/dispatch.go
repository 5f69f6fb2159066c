package commands

import (
	"errors"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// Version is the server version shown in 002, 004, VERSION and -version.
const Version = "chatd-0.1.0"

type handlerFunc func(w *state.World, c *state.Client, m *irc.Message) error

// command is one row of the dispatch table.
type command struct {
	handle    handlerFunc
	minParams int
	preReg    bool // usable before registration completes
	usage     string
	help      string // one line for HELP
}

// table maps an upper-case verb to its command.
type table map[string]command

// Verbs returns every built-in verb, which a [[command]] in the config may
// not take (conf.ReservedCommands).
func Verbs() []string {
	t := newTable()
	verbs := make([]string, 0, len(t))
	for v := range t {
		verbs = append(verbs, v)
	}
	return verbs
}

// New returns the dispatcher that the state goroutine calls for every line.
func New() state.Dispatch {
	t := newTable()
	return t.dispatch
}

func (t table) dispatch(w *state.World, c *state.Client, m *irc.Message) {
	if _, tagged := m.Tags["batch"]; c.Registered && (c.Batch != nil || tagged) {
		// A multiline batch's line, or a line that interrupts one (batch.go).
		if taken, err := routeBatched(w, c, m); taken {
			sendError(w, c, err)
			return
		}
	}
	cmd, ok := t[m.Command]
	var err error
	switch {
	case !ok:
		if custom := w.Config.FindCommand(m.Command); custom != nil && c.Registered {
			err = runCustom(w, c, m, custom) // a [[command]] of the config: custom.go
		} else if c.Registered {
			err = numeric(irc.ERR_UNKNOWNCOMMAND, m.Command, "Unknown command")
		} else {
			err = numeric(irc.ERR_NOTREGISTERED, "You have not registered")
		}
	case !c.Registered && !cmd.preReg:
		err = numeric(irc.ERR_NOTREGISTERED, "You have not registered")
	case len(m.Params) < cmd.minParams:
		err = numeric(irc.ERR_NEEDMOREPARAMS, m.Command, "Not enough parameters")
	default:
		err = cmd.handle(w, c, m)
	}
	sendError(w, c, err)
}

// sendError delivers a handler's refusal to the client.
func sendError(w *state.World, c *state.Client, err error) {
	if err == nil {
		return
	}
	var re *replyError
	if errors.As(err, &re) {
		if re.fail {
			w.ServerMessage(c, "FAIL", re.params...)
			return
		}
		w.Numeric(c, re.code, re.params...)
		return
	}
	w.Log.Error("handler error", "nick", c.Nick, "err", err)
	w.Numeric(c, state.ErrUnknownError, "*", "Internal error")
}

// replyError is a refusal that the client is told about as a numeric (or
// as an IRCv3 FAIL standard reply when fail is set).
type replyError struct {
	code   string
	params []string
	fail   bool
}

func (e *replyError) Error() string {
	return e.code + " " + strings.Join(e.params, " ")
}

// numeric builds a refusal; params follow the client's nick.
func numeric(code string, params ...string) error {
	return &replyError{code: code, params: params}
}

// fail builds an IRCv3 standard reply: FAIL <command> <code> [context...] :text.
func fail(command, code string, rest ...string) error {
	return &replyError{code: code, params: append([]string{command, code}, rest...), fail: true}
}
