package commands

import (
	"fmt"
	"time"

	"chatd/state"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/irc.v4"
)

// handleOper checks OPER <name> <password> against the [[oper]] entries,
// through checkSecret (commands/secret.go): off the state goroutine, with
// the client held meanwhile so that OPER followed at once by an operator
// command is handled in order, within the server-wide bound on bcrypt
// work, throttled per address, and a failure answered only after a delay
// that doubles with the client's consecutive failures: guessing costs the
// guesser time and the server almost nothing.
//
// An unknown name is checked against a dummy hash of the same cost, so the
// reply takes as long as for a wrong password and tells nothing about which
// names exist; both get 464 and a log line. A throttled attempt is not
// checked at all and gets 464 saying so.
func handleOper(w *state.World, c *state.Client, m *irc.Message) error {
	name, password := m.Params[0], m.Params[1]
	opers := w.Config.Opers
	cost := bcrypt.DefaultCost // the dummy's cost: that of the first entry
	if len(opers) > 0 {
		if cc, err := bcrypt.Cost([]byte(opers[0].PasswordHash)); err == nil {
			cost = cc
		}
	}
	var hash []byte
	for _, o := range opers {
		if o.Name == name {
			hash = []byte(o.PasswordHash)
			break
		}
	}
	ac := accountsOf(w)
	checkSecret(w, ac.hashes, ac.oper, c, "", hash, []byte(password), cost, func(w *state.World, ok bool, retry time.Duration) {
		if retry > 0 {
			secs := int((retry + time.Second - 1) / time.Second)
			w.Log.Warn("OPER throttled", "id", c.ID, "nick", c.Nick, "host", c.Host, "name", name, "wait_s", secs)
			w.Numeric(c, irc.ERR_PASSWDMISMATCH, fmt.Sprintf("Too many failed attempts; try again in %d seconds", secs))
			return
		}
		operResult(w, c, name, ok)
	})
	return nil
}

func operResult(w *state.World, c *state.Client, name string, ok bool) {
	if !ok {
		w.Log.Warn("failed OPER attempt", "id", c.ID, "nick", c.Nick, "host", c.Host, "name", name)
		w.Numeric(c, irc.ERR_PASSWDMISMATCH, "Password incorrect")
		return
	}
	w.Log.Info("oper", "id", c.ID, "nick", c.Nick, "host", c.Host, "name", name)
	w.Numeric(c, irc.RPL_YOUREOPER, "You are now an IRC operator")
	if c.Modes&state.UserOper == 0 {
		w.SetOper(c, true)
		w.SendMessage(c, &irc.Message{Prefix: prefixOf(c), Command: "MODE", Params: []string{c.Nick, "+o"}})
	}
}

// requireOper refuses non-operators with 481.
func requireOper(c *state.Client) error {
	if c.Modes&state.UserOper == 0 {
		return numeric(irc.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator")
	}
	return nil
}

// handleKill disconnects a user: KILL <nick> <reason>. The victim gets
// KILL <nick> :oper (reason), the traditional "path (reason)" form that
// clients such as irssi take apart, then ERROR; everyone sharing a channel
// with it sees QUIT :Killed (oper (reason)).
func handleKill(w *state.World, c *state.Client, m *irc.Message) error {
	if err := requireOper(c); err != nil {
		return err
	}
	target := w.ClientByNick(m.Params[0])
	if target == nil {
		return numeric(irc.ERR_NOSUCHNICK, m.Params[0], "No such nick/channel")
	}
	reason := truncateUTF8(m.Params[1], w.Config.Limits.KickLength)
	quit := "Killed (" + c.Nick + " (" + reason + "))"
	w.Log.Warn("kill", "by", c.Nick, "nick", target.Nick, "host", target.Host, "reason", reason)
	comment := c.Nick + " (" + reason + ")"
	w.SendMessage(target, &irc.Message{Prefix: prefixOf(c), Command: "KILL", Params: []string{target.Nick, comment}})
	w.Quit(target, quit)
	return nil
}

// handleWallops sends WALLOPS :<text> to every user with user mode +w
// (the sender included if it has +w), from the operator's prefix.
func handleWallops(w *state.World, c *state.Client, m *irc.Message) error {
	if err := requireOper(c); err != nil {
		return err
	}
	text := m.Params[0]
	if text == "" {
		return numeric(irc.ERR_NEEDMOREPARAMS, "WALLOPS", "Not enough parameters")
	}
	msg := &irc.Message{Prefix: prefixOf(c), Command: "WALLOPS", Params: []string{text}}
	if err := checkLineLength(msg); err != nil {
		return err
	}
	out := w.NewFanout(msg, nil)
	for _, u := range w.Clients() {
		if u.Registered && u.Modes&state.UserWallops != 0 {
			out.To(u)
		}
	}
	return nil
}
