package state

import (
	"gopkg.in/irc.v4"
)

// ClientByNick finds a registered client by nick, casemapping-aware.
func (w *World) ClientByNick(nick string) *Client {
	c := w.nicks[Fold(nick)]
	if c == nil || !c.Registered {
		return nil
	}
	return c
}

// NickInUse reports whether nick is taken by a client other than c.
func (w *World) NickInUse(nick string, c *Client) bool {
	other := w.nicks[Fold(nick)]
	return other != nil && other != c
}

// NickHolder returns the client holding nick, registered or not; nil if
// the nick is free.
func (w *World) NickHolder(nick string) *Client { return w.nicks[Fold(nick)] }

// OverruleNick takes its nick away from c, which has not completed
// registration, so that another client can have it; c cannot register
// until it has chosen another.
func (w *World) OverruleNick(c *Client) {
	if c.Registered || c.Nick == "" {
		return
	}
	if w.nicks[Fold(c.Nick)] == c {
		delete(w.nicks, Fold(c.Nick))
	}
	c.Nick = ""
}

// SetNick gives c a nick the caller has checked is free.
// A registered client's old nick goes into WHOWAS (RFC 2812 3.6.3).
func (w *World) SetNick(c *Client, nick string) {
	oldNick, renamed := c.Nick, Fold(nick) != Fold(c.Nick)
	if renamed {
		w.dropInvites(c) // they were for the nick the inviter saw
	}
	if c.Nick != "" {
		delete(w.nicks, c.folded)
		if c.Registered {
			w.rememberWhowas(c)
			w.unindexUser(c)
		}
	}
	c.Nick = nick
	c.folded = Fold(nick)
	w.nicks[c.folded] = c
	if c.Registered {
		w.indexUser(c)
		if renamed { // a change of case only is no news to MONITOR
			w.monitorOffline(c, oldNick)
			w.monitorOnline(c)
		}
	}
}

// indexUser adds a registered c to the user index and to the member index
// of each of its channels; unindexUser takes it out (before its folded
// nick changes: the indexes are ordered by it).
func (w *World) indexUser(c *Client) {
	w.users.ReplaceOrInsert(c)
	for ch := range c.channels {
		ch.byNick.ReplaceOrInsert(c)
	}
}

func (w *World) unindexUser(c *Client) {
	w.users.Delete(c)
	for ch := range c.channels {
		ch.byNick.Delete(c)
	}
}

// Register marks c as registered and tells its connection.
func (w *World) Register(c *Client) {
	w.countModes(c, -1)
	c.Registered = true
	w.countModes(c, +1)
	if c.Node != "" {
		w.nodeUsers[c.Node]++
	}
	w.indexUser(c)
	w.monitorOnline(c)
	c.SignedOn = w.Now()
	c.LastActive = c.SignedOn
	w.unregistered--
	if n := w.UserCount(); n > w.maxUsers {
		w.maxUsers = n
	}
	c.Out.Registered()
}

// Channel finds a channel by name, casemapping-aware.
func (w *World) Channel(name string) *Channel { return w.channels[Fold(name)] }

// CreateChannel makes an empty channel; the caller checked it is new.
func (w *World) CreateChannel(name string) *Channel {
	ch := &Channel{
		Name:    name,
		Created: w.Now(),
		members: make(map[*Client]*Membership),
		folded:  Fold(name),
		byNick:  newMemberIndex(),
	}
	w.channels[ch.folded] = ch
	w.chanIndex.ReplaceOrInsert(ch)
	return ch
}

// AddMember puts c in ch with the given status.
func (w *World) AddMember(ch *Channel, c *Client, m Membership) *Membership {
	mp := &m
	ch.members[c] = mp
	c.channels[ch] = mp
	ch.byNick.ReplaceOrInsert(c)
	return mp
}

// RemoveMember takes c out of ch; an empty channel ceases to exist
// unless it is registered.
func (w *World) RemoveMember(ch *Channel, c *Client) {
	delete(ch.members, c)
	delete(c.channels, ch)
	ch.byNick.Delete(c)
	if len(ch.members) == 0 && ch.Reg == nil {
		w.dropChannel(ch)
	}
}

// dropChannel makes an empty channel cease to exist.
func (w *World) dropChannel(ch *Channel) {
	w.dropChannelInvites(ch)
	w.dropChannelHistory(ch)
	delete(w.channels, ch.folded)
	w.chanIndex.Delete(ch)
}

// Quit removes c from the world: everyone sharing a channel sees QUIT with
// reason, the client is told ERROR, WHOWAS remembers it, and its connection
// is closed once what is queued has been flushed.
func (w *World) Quit(c *Client, reason string) {
	if c.gone {
		return
	}
	if c.Registered {
		quit := w.clientEvent(c, &irc.Message{
			Prefix:  &irc.Prefix{Name: c.Nick, User: c.User, Host: c.Host},
			Command: "QUIT",
			Params:  []string{reason},
		})
		quit.ToNeighbours(c, 0)
		w.monitorOffline(c, c.Nick)
		w.rememberWhowas(c)
		w.Log.Info("quit", "id", c.ID, "nick", c.Nick, "reason", reason)
	} else {
		w.unregistered--
	}
	for ch := range c.channels {
		w.RemoveMember(ch, c)
	}
	w.dropInvites(c)
	w.forgetSession(c)
	if b := c.Batch; b != nil {
		// An unfinished multiline batch dies with the client; its timer
		// need not keep the world from a snapshot meanwhile.
		if !b.Dead {
			w.CancelTimer(b.Timer)
		}
		c.Batch = nil
	}
	w.ClearMonitor(c)
	w.countModes(c, -1)
	w.SendMessage(c, &irc.Message{Command: "ERROR", Params: []string{"Closing Link: " + c.Host + " (" + reason + ")"}})
	if c.Registered {
		w.users.Delete(c)
		if c.Node != "" {
			if w.nodeUsers[c.Node]--; w.nodeUsers[c.Node] <= 0 {
				delete(w.nodeUsers, c.Node)
			}
		}
	}
	if c.Nick != "" && w.nicks[c.folded] == c {
		delete(w.nicks, c.folded)
	}
	w.indexAccount(c, "")
	delete(w.clients, c.ID)
	c.gone = true
	c.Out.Close()
}

// SetOper grants or removes operator status, keeping the count right.
func (w *World) SetOper(c *Client, on bool) {
	modes := c.Modes &^ UserOper
	if on {
		modes |= UserOper
	}
	w.SetUserModes(c, modes)
	c.Out.SetFloodExempt(on)
}

// SetUserModes replaces c's user modes, keeping the operator and invisible
// counts (LUSERS) right without walking every client.
func (w *World) SetUserModes(c *Client, modes UserModes) {
	w.countModes(c, -1)
	c.Modes = modes
	w.countModes(c, +1)
}

// countModes adds (or with -1 removes) c's contribution to the counts.
func (w *World) countModes(c *Client, sign int) {
	if c.Modes&UserOper != 0 {
		w.opers += sign
	}
	if c.Registered && c.Modes&UserInvisible != 0 {
		w.invisible += sign
	}
}

// Clients returns every connected client by ID; callers must not modify it.
func (w *World) Clients() map[ClientID]*Client { return w.clients }

// Channels returns every channel by folded name; callers must not modify it.
func (w *World) Channels() map[string]*Channel { return w.channels }

// UserCount is the number of registered clients.
func (w *World) UserCount() int { return len(w.clients) - w.unregistered }

// UnknownCount is the number of connections not yet registered.
func (w *World) UnknownCount() int { return w.unregistered }

// MaxUsers is the highest UserCount seen since start.
func (w *World) MaxUsers() int { return w.maxUsers }

// OperCount is the number of clients with user mode +o.
func (w *World) OperCount() int { return w.opers }

// InvisibleCount is the number of registered clients with user mode +i.
func (w *World) InvisibleCount() int { return w.invisible }

func (w *World) rememberWhowas(c *Client) {
	w.whowas.add(WhowasEntry{Nick: c.Nick, User: c.User, Host: c.Host, Realname: c.Realname, Server: w.ServerOf(c), Left: w.Now(), folded: c.folded})
}
