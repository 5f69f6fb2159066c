package commands

import (
	"crypto/rand"
	"sync"

	"chatd/state"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/irc.v4"
)

// handleOper checks OPER <name> <password> against the [[oper]] entries.
//
// bcrypt is slow on purpose (tens of milliseconds at the default cost), so
// the check runs on its own goroutine rather than stalling every client on
// the state goroutine. The client is held meanwhile (World.Hold): its later
// lines wait, so OPER followed at once by an operator command is handled
// in order. The result comes back through World.Post; the client may have
// left by then.
//
// An unknown name is checked against a dummy hash of the same cost, so the
// reply takes as long as for a wrong password and tells nothing about which
// names exist; both get 464 and a log line.
func (oc *operChecker) handleOper(w *state.World, c *state.Client, m *irc.Message) error {
	name, password := m.Params[0], m.Params[1]
	opers := w.Config.Opers
	cost := bcrypt.DefaultCost // the dummy's cost: that of the first entry
	if len(opers) > 0 {
		if cc, err := bcrypt.Cost([]byte(opers[0].PasswordHash)); err == nil {
			cost = cc
		}
	}
	hash, known := "", false
	for _, o := range opers {
		if o.Name == name {
			hash, known = o.PasswordHash, true
			break
		}
	}
	w.Hold(c)
	go func() {
		oc.slots <- struct{}{}
		dummy := oc.dummyHash(cost)
		if !known {
			hash = dummy
		}
		match := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
		<-oc.slots
		ok := match && known
		w.Post(func(w *state.World) {
			w.Resume(c, func() { operResult(w, c, name, ok) })
		})
	}()
	return nil
}

// operChecker runs OPER's password checks. slots bounds the bcrypt checks
// running at once, so a burst of OPER attempts costs a few cores at most
// (each client has one at a time); dummies caches, per cost, a hash of a
// random password that no attempt can match (an unknown name is compared
// against it, and fetching it the first time costs known and unknown names
// alike).
type operChecker struct {
	slots   chan struct{}
	mu      sync.Mutex
	dummies map[int]string
}

func newOperChecker() *operChecker {
	return &operChecker{slots: make(chan struct{}, 4), dummies: map[int]string{}}
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

func (oc *operChecker) dummyHash(cost int) string {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if h, ok := oc.dummies[cost]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		h, _ = bcrypt.GenerateFromPassword([]byte(rand.Text()), bcrypt.DefaultCost)
	}
	oc.dummies[cost] = string(h)
	return string(h)
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
