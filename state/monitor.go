package state

import "gopkg.in/irc.v4"

// MONITOR (IRCv3 monitor, extended-monitor). A client keeps a list of
// nicks; the world keeps, for each casefolded nick, the clients watching
// it, so that a nick coming or going costs one lookup and one line per
// watcher, whatever the size of the network. The notifications come from
// the mutation methods (Register, SetNick, Quit, SetAway, SetRealname,
// Login/Logout), so no handler can forget them.
//
// Watchers are a set: a notification goes to each of them once, and the
// order in which different watchers are handed their copy does not change
// what any one of them receives.

// Numerics of MONITOR.
const (
	RplMonOnline    = "730"
	RplMonOffline   = "731"
	RplMonList      = "732"
	RplEndOfMonList = "733"
	ErrMonListFull  = "734"
)

// monitorList is one client's MONITOR list: the nicks in the order they
// were added, as the client spelt them, and their folded forms.
type monitorList struct {
	nicks  []string
	folded map[string]int // Fold(nick) → index in nicks
}

// Monitored returns c's MONITOR list in the order the nicks were added,
// as c spelt them.
func (c *Client) Monitored() []string { return c.monitor.nicks }

// MonitorCount is the length of c's MONITOR list.
func (c *Client) MonitorCount() int { return len(c.monitor.nicks) }

// Monitors reports whether nick is on c's list.
func (c *Client) Monitors(nick string) bool {
	_, ok := c.monitor.folded[Fold(nick)]
	return ok
}

// Monitor adds nick to c's list; false if it was already there.
func (w *World) Monitor(c *Client, nick string) bool {
	key := Fold(nick)
	if _, ok := c.monitor.folded[key]; ok {
		return false
	}
	if c.monitor.folded == nil {
		c.monitor.folded = map[string]int{}
	}
	c.monitor.folded[key] = len(c.monitor.nicks)
	c.monitor.nicks = append(c.monitor.nicks, nick)
	watchers := w.watchers[key]
	if watchers == nil {
		watchers = map[*Client]struct{}{}
		w.watchers[key] = watchers
	}
	watchers[c] = struct{}{}
	return true
}

// Unmonitor takes nick off c's list, if it is there.
func (w *World) Unmonitor(c *Client, nick string) {
	key := Fold(nick)
	i, ok := c.monitor.folded[key]
	if !ok {
		return
	}
	delete(c.monitor.folded, key)
	last := len(c.monitor.nicks) - 1
	copy(c.monitor.nicks[i:], c.monitor.nicks[i+1:])
	c.monitor.nicks = c.monitor.nicks[:last]
	for j := i; j < last; j++ {
		c.monitor.folded[Fold(c.monitor.nicks[j])] = j
	}
	w.unwatch(c, key)
}

// ClearMonitor empties c's list.
func (w *World) ClearMonitor(c *Client) {
	for key := range c.monitor.folded {
		w.unwatch(c, key)
	}
	c.monitor = monitorList{}
}

func (w *World) unwatch(c *Client, key string) {
	if watchers := w.watchers[key]; watchers != nil {
		delete(watchers, c)
		if len(watchers) == 0 {
			delete(w.watchers, key)
		}
	}
}

// monitorOnline tells the watchers of u's nick that it is online (730
// nick!user@host), as u registers or takes the nick.
func (w *World) monitorOnline(u *Client) {
	watchers := w.watchers[u.folded]
	if len(watchers) == 0 {
		return
	}
	r := w.NewReply(RplMonOnline, u.Nick+"!"+u.User+"@"+u.Host)
	for c := range watchers {
		if c != u && c.Registered {
			w.SendReply(c, r)
		}
	}
}

// monitorOffline tells the watchers of nick (u's until now) that it is
// offline (731), as u leaves or gives the nick up.
func (w *World) monitorOffline(u *Client, nick string) {
	watchers := w.watchers[Fold(nick)]
	if len(watchers) == 0 {
		return
	}
	r := w.NewReply(RplMonOffline, nick)
	for c := range watchers {
		if c != u && c.Registered {
			w.SendReply(c, r)
		}
	}
}

// ToWatchers queues f for the clients watching u's nick that negotiated
// extended-monitor and need, except u and those that ForNeighbours has
// just reached (call it right after ToNeighbours for the same change, so
// that a watcher who also shares a channel gets one copy).
func (f *Fanout) ToWatchers(u *Client, need Cap) {
	for c := range f.w.watchers[u.folded] {
		if c == u || c.seen == f.w.epoch || !c.Registered || !c.Caps.Has(CapExtendedMonitor) && !c.Caps.Has(CapDraftExtendedMonitor) || !c.Caps.Has(need) {
			continue
		}
		f.To(c)
	}
}

// SetAway sets c's away message ("" for back) and, when it changed,
// tells those who share a channel with c and negotiated away-notify, and
// those who watch c's nick with extended-monitor and away-notify
// (IRCv3 away-notify: when the state "sets, changes or removes"). Before
// registration (pre-away) nobody is told.
func (w *World) SetAway(c *Client, msg string) {
	if msg == c.Away {
		return
	}
	c.Away = msg
	if !c.Registered {
		return
	}
	params := []string{}
	if msg != "" {
		params = append(params, msg)
	}
	out := w.NewFanout(&irc.Message{Prefix: c.prefix(), Command: "AWAY", Params: params}, nil)
	out.ToNeighbours(c, CapAwayNotify)
	out.ToWatchers(c, CapAwayNotify)
}

// SetRealname changes c's realname (IRCv3 setname) and tells c (with
// setname), those sharing a channel with it that negotiated setname, and
// those watching its nick with extended-monitor and setname.
func (w *World) SetRealname(c *Client, name string) {
	c.Realname = name
	if !c.Registered {
		return
	}
	out := w.NewFanout(&irc.Message{Prefix: c.prefix(), Command: "SETNAME", Params: []string{name}}, nil)
	out.ToNeighbours(c, CapSetname)
	out.ToWatchers(c, CapSetname)
	if c.Caps.Has(CapSetname) {
		out.To(c)
	}
}

// prefix is c's nick!user@host as a message source.
func (c *Client) prefix() *irc.Prefix {
	return &irc.Prefix{Name: c.Nick, User: c.User, Host: c.Host}
}
