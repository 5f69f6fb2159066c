package state

// The one mutation funnel for the fields of channels and clients that
// handlers decide about. Package commands validates and decides; these
// methods make the change, so that what has to follow every change
// (history, MONITOR, saving a registered group, later replication) is
// done in one place that no handler can skip. Like everything in World,
// they run on the state goroutine.

// SetChannelFlag sets (on) or clears one of ch's flag modes (+i, +m, +n,
// +s, +t). +k and +l carry parameters: SetChannelKey and SetChannelLimit.
func (w *World) SetChannelFlag(ch *Channel, flag ChannelModes, on bool) {
	flag &^= ChanKeyed | ChanLimited
	if on {
		ch.Modes |= flag
	} else {
		ch.Modes &^= flag
	}
}

// SetChannelKey sets ch's key (+k); "" removes it.
func (w *World) SetChannelKey(ch *Channel, key string) {
	ch.Key = key
	if key == "" {
		ch.Modes &^= ChanKeyed
	} else {
		ch.Modes |= ChanKeyed
	}
}

// SetChannelLimit sets ch's member limit (+l); 0 removes it.
func (w *World) SetChannelLimit(ch *Channel, n int) {
	ch.Limit = max(n, 0)
	if n > 0 {
		ch.Modes |= ChanLimited
	} else {
		ch.Modes &^= ChanLimited
	}
}

// AddBan appends e to ch's ban list; the caller checked it is new and
// that the list has room.
func (w *World) AddBan(ch *Channel, e ListEntry) { w.AddListEntry(ch, BanList, e) }

// RemoveBan takes entry i out of ch's ban list and returns it.
func (w *World) RemoveBan(ch *Channel, i int) ListEntry { return w.RemoveListEntry(ch, BanList, i) }

// ChannelList names one of a channel's mask lists by its mode letter.
type ChannelList byte

const (
	BanList          ChannelList = 'b'
	ExceptList       ChannelList = 'e'
	InviteExceptList ChannelList = 'I'
)

// List returns ch's entries of list l; callers must not modify it.
func (ch *Channel) List(l ChannelList) []ListEntry { return *ch.listField(l) }

func (ch *Channel) listField(l ChannelList) *[]ListEntry {
	switch l {
	case ExceptList:
		return &ch.Excepts
	case InviteExceptList:
		return &ch.InviteExcepts
	}
	return &ch.Bans
}

// AddListEntry appends e to ch's list l; the caller checked it is new and
// that the list has room.
func (w *World) AddListEntry(ch *Channel, l ChannelList, e ListEntry) {
	list := ch.listField(l)
	*list = append(*list, e)
}

// RemoveListEntry takes entry i out of ch's list l and returns it.
func (w *World) RemoveListEntry(ch *Channel, l ChannelList, i int) ListEntry {
	list := ch.listField(l)
	e := (*list)[i]
	*list = append((*list)[:i], (*list)[i+1:]...)
	return e
}

// SetChannelOp gives (on) or takes c's channel operator status in ch; it
// reports whether anything changed. c must be a member.
func (w *World) SetChannelOp(ch *Channel, c *Client, on bool) bool {
	m := ch.members[c]
	if m == nil || m.Op == on {
		return false
	}
	m.Op = on
	return true
}

// SetChannelVoice gives (on) or takes c's voice in ch; it reports whether
// anything changed. c must be a member.
func (w *World) SetChannelVoice(ch *Channel, c *Client, on bool) bool {
	m := ch.members[c]
	if m == nil || m.Voice == on {
		return false
	}
	m.Voice = on
	return true
}

// SetUserInfo records USER's username and realname, before registration.
func (w *World) SetUserInfo(c *Client, user, realname string) {
	c.User, c.Realname = user, realname
}

// MarkActive notes that c spoke (PRIVMSG, NOTICE): WHOIS shows idle time
// from it.
func (w *World) MarkActive(c *Client) { c.LastActive = w.Now() }

// SetPassOK records whether c's last PASS before registration was right.
func (w *World) SetPassOK(c *Client, ok bool) { c.PassOK = ok }

// SetCaps replaces c's negotiated capabilities.
func (w *World) SetCaps(c *Client, caps CapSet) { c.Caps = caps }

// SetCapVersion records the CAP LS version c spoke (301 or 302).
func (w *World) SetCapVersion(c *Client, v int) { c.CapVersion = v }

// HoldForCaps keeps c from completing registration while it negotiates
// capabilities (on), until CAP END (off).
func (w *World) HoldForCaps(c *Client, on bool) { c.CapHeld = on }

// SetChannelReplay turns the replay of recent history on JOIN on or off
// for ch (ChanServ SET REPLAY, which saved it first).
func (w *World) SetChannelReplay(ch *Channel, on bool) { ch.NoReplay = !on }

// SetTopic sets ch's topic, who set it (nick!user@host) and when (now).
func (w *World) SetTopic(ch *Channel, topic, setBy string) {
	ch.Topic, ch.TopicSetBy, ch.TopicSetAt = topic, setBy, w.Now()
}
