package state

import "gopkg.in/irc.v4"

// Channel events: each method makes one change that members see (a join,
// a part, a kick, a topic, mode changes, a nick change) and tells those
// who must see it, in one place, so that whatever has to follow such a
// change (history, metrics, later replication) cannot be forgotten by a
// handler. Package commands checks whether the change is allowed and
// builds the text; these methods apply it.

// JoinChannel puts c in ch with status and tells the members, c included:
// JOIN (with account and realname to extended-join clients) and, to
// away-notify members, c's away message.
func (w *World) JoinChannel(ch *Channel, c *Client, status Membership) {
	w.AddMember(ch, c, status)
	account := c.Account
	if account == "" {
		account = "*"
	}
	// One event in two forms: history keeps the extended one.
	extendedMsg := &irc.Message{Prefix: c.prefix(), Command: "JOIN", Params: []string{ch.Name, account, c.Realname}}
	plainMsg := &irc.Message{Prefix: extendedMsg.Prefix, Command: "JOIN", Params: extendedMsg.Params[:1:1]}
	e, extended := w.channelEvent(ch, extendedMsg, c)
	plain := w.NewFanout(plainMsg, nil)
	if e != nil {
		plain = w.entryFanout(e, plainMsg)
	}
	var away *Fanout
	if c.Away != "" {
		away = w.NewFanout(&irc.Message{Prefix: c.prefix(), Command: "AWAY", Params: []string{c.Away}}, nil)
	}
	for member := range ch.members {
		if member.Caps.Has(CapExtendedJoin) {
			extended.To(member)
		} else {
			plain.To(member)
		}
		if away != nil && member != c && member.Caps.Has(CapAwayNotify) {
			away.To(member)
		}
	}
}

// PartChannel tells ch (c included) that c leaves, with reason ("" for
// none), then takes c out.
func (w *World) PartChannel(ch *Channel, c *Client, reason string) {
	params := []string{ch.Name}
	if reason != "" {
		params = append(params, reason)
	}
	_, part := w.channelEvent(ch, &irc.Message{Prefix: c.prefix(), Command: "PART", Params: params}, c)
	part.ToChannel(ch, nil, 0)
	w.RemoveMember(ch, c)
}

// KickMember tells ch (and by, if it acts from outside) that by kicks
// target out with reason, then takes target out.
func (w *World) KickMember(ch *Channel, by, target *Client, reason string) {
	_, kick := w.channelEvent(ch, &irc.Message{Prefix: by.prefix(), Command: "KICK", Params: []string{ch.Name, target.Nick, reason}}, by)
	kick.ToChannelAndActor(ch, by)
	w.RemoveMember(ch, target)
}

// ChangeTopic sets ch's topic as by's (now), tells ch and by, and saves a
// registered group. The caller made topic fit a line.
func (w *World) ChangeTopic(ch *Channel, by *Client, topic string) {
	w.SetTopic(ch, topic, by.Prefix())
	_, out := w.channelEvent(ch, &irc.Message{Prefix: by.prefix(), Command: "TOPIC", Params: []string{ch.Name, topic}}, by)
	out.ToChannelAndActor(ch, by)
	w.ChannelChanged(ch)
}

// AnnounceModes tells ch (and actor, if it acts from outside) about mode
// changes already made (SetChannelFlag, SetChannelOp, AddBan, ...), one
// MODE line each of msgs, and saves a registered group.
func (w *World) AnnounceModes(ch *Channel, actor *Client, msgs []*irc.Message) {
	if len(msgs) == 0 {
		return
	}
	for _, msg := range msgs {
		_, out := w.channelEvent(ch, msg, actor)
		out.ToChannelAndActor(ch, actor)
	}
	w.ChannelChanged(ch)
}

// AnnounceServiceMode tells ch's members but skip about a mode a service
// set (ChanServ giving a registered group's access on join).
func (w *World) AnnounceServiceMode(ch *Channel, msg *irc.Message, skip *Client) {
	_, out := w.channelEvent(ch, msg, nil)
	out.ToChannel(ch, skip, 0)
}

// ChangeNick renames a registered c to nick (checked free) and tells c
// and everyone sharing a channel with it.
func (w *World) ChangeNick(c *Client, nick string) {
	if nick == c.Nick {
		return
	}
	change := w.clientEvent(c, &irc.Message{Prefix: c.prefix(), Command: "NICK", Params: []string{nick}})
	change.To(c)
	change.ToNeighbours(c, 0)
	w.Log.Info("nick", "id", c.ID, "old", c.Nick, "new", nick)
	w.SetNick(c, nick)
}

// ToChannelAndActor queues the message for ch's members and for actor
// when it is not one (an IRC operator acting on the lobby from outside).
func (f *Fanout) ToChannelAndActor(ch *Channel, actor *Client) {
	f.ToChannel(ch, nil, 0)
	if actor != nil && ch.members[actor] == nil {
		f.To(actor)
	}
}
