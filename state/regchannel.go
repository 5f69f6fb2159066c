package state

import (
	"maps"
	"sort"
	"strings"
	"time"
)

// ChannelReg is what makes a group registered (ChanServ REGISTER): an
// owner account and an access list. A registered channel stays when its
// last member leaves, and its settings are saved to the store on every
// change (SaveChannel), so it also survives a restart.
type ChannelReg struct {
	Owner      string            // folded account name
	Access     map[string]string // folded account name -> AccessOp or AccessVoice
	Registered time.Time
}

// Access levels of a registered group's access list.
const (
	AccessOp    = "op"
	AccessVoice = "voice"
)

// StatusFor is the membership a client logged in to account gets on
// joining: op for the owner and op-level entries, voice for voice-level.
func (r *ChannelReg) StatusFor(account string) Membership {
	if account == "" {
		return Membership{}
	}
	key := Fold(account)
	switch {
	case key == r.Owner:
		return Membership{Op: true}
	case r.Access[key] == AccessOp:
		return Membership{Op: true}
	case r.Access[key] == AccessVoice:
		return Membership{Voice: true}
	}
	return Membership{}
}

// RegisterChannel records a committed ChanServ REGISTER.
func (w *World) RegisterChannel(ch *Channel, owner string, at time.Time) {
	ch.Reg = &ChannelReg{Owner: Fold(owner), Access: map[string]string{}, Registered: at}
}

// SetChannelReg replaces a registered group's owner and access list after
// the store committed the change.
func (w *World) SetChannelReg(ch *Channel, reg ChannelReg) {
	r := reg
	r.Access = maps.Clone(reg.Access)
	ch.Reg = &r
}

// Unregister makes ch an ordinary group again (it vanishes if empty).
func (w *World) Unregister(ch *Channel) {
	ch.Reg = nil
	if len(ch.members) == 0 {
		w.dropChannel(ch)
	}
}

// ChannelRecord is ch as the store keeps it.
func (w *World) ChannelRecord(ch *Channel) ChannelRecord {
	rec := ChannelRecord{
		Name: ch.Name, Topic: ch.Topic, TopicSetBy: ch.TopicSetBy, TopicSetAt: ch.TopicSetAt,
		Key: ch.Key, Limit: ch.Limit, Bans: append([]ListEntry(nil), ch.Bans...),
		Excepts: append([]ListEntry(nil), ch.Excepts...), Invites: append([]ListEntry(nil), ch.InviteExcepts...),
		NoReplay: ch.NoReplay,
	}
	if ch.Reg != nil {
		rec.Owner, rec.Registered, rec.Access = ch.Reg.Owner, ch.Reg.Registered, maps.Clone(ch.Reg.Access)
	}
	var letters strings.Builder
	for _, l := range chanModeLetters {
		if ch.Modes&l.mode != 0 {
			letters.WriteByte(l.letter)
		}
	}
	rec.Modes = letters.String()
	return rec
}

// ChannelChanged saves a registered group's settings after a change
// (topic, modes, lists); ordinary groups are not saved. Nothing waits for
// the write: a failure is logged.
func (w *World) ChannelChanged(ch *Channel) {
	if ch.Reg == nil {
		return
	}
	w.Persist(SaveChannel{Channel: w.ChannelRecord(ch)}, func(w *World, err error) {
		if err != nil {
			w.Log.Error("saving registered group", "channel", ch.Name, "err", err)
		}
	})
}

// LoadChannels creates the registered groups of a store snapshot, empty,
// with their saved settings. Existing groups of the same name get their
// registration and settings replaced.
func (w *World) LoadChannels(list []ChannelRecord) {
	for _, rec := range list {
		ch := w.Channel(rec.Name)
		if ch == nil {
			ch = w.CreateChannel(rec.Name)
			ch.Created = rec.Registered
		}
		w.SetChannelReg(ch, ChannelReg{Owner: rec.Owner, Access: rec.Access, Registered: rec.Registered})
		if ch.Reg.Access == nil {
			ch.Reg.Access = map[string]string{}
		}
		ch.Topic, ch.TopicSetBy, ch.TopicSetAt = rec.Topic, rec.TopicSetBy, rec.TopicSetAt
		ch.Modes = 0
		for i := 0; i < len(rec.Modes); i++ {
			ch.Modes |= ChanModeFor(rec.Modes[i])
		}
		ch.Key, ch.Limit = rec.Key, rec.Limit
		ch.Bans = append([]ListEntry(nil), rec.Bans...)
		ch.Excepts = append([]ListEntry(nil), rec.Excepts...)
		ch.InviteExcepts = append([]ListEntry(nil), rec.Invites...)
		ch.NoReplay = rec.NoReplay
	}
}

// ReplaceChannels puts a store snapshot's registered groups in force after
// another process changed the store (chatd account delete takes the
// groups the account owned): groups no longer registered become ordinary
// (and vanish if empty), new ones appear, and those registered on both
// sides take the snapshot's owner and access list but keep their live
// settings, which may be newer than the snapshot (a topic change whose
// write was still queued when the snapshot was read).
func (w *World) ReplaceChannels(list []ChannelRecord) {
	keep := map[string]bool{}
	for _, rec := range list {
		keep[Fold(rec.Name)] = true
	}
	var names []string
	for key, ch := range w.channels {
		if ch.Reg != nil && !keep[key] {
			names = append(names, key)
		}
	}
	sort.Strings(names)
	for _, key := range names {
		w.Unregister(w.channels[key])
	}
	var fresh []ChannelRecord
	for _, rec := range list {
		if ch := w.Channel(rec.Name); ch != nil && ch.Reg != nil {
			w.SetChannelReg(ch, ChannelReg{Owner: rec.Owner, Access: rec.Access, Registered: ch.Reg.Registered})
			if ch.Reg.Access == nil {
				ch.Reg.Access = map[string]string{}
			}
			continue
		}
		fresh = append(fresh, rec)
	}
	w.LoadChannels(fresh)
}

// RegisteredChannels lists the registered groups by name.
func (w *World) RegisteredChannels() []*Channel {
	var list []*Channel
	for _, ch := range w.channels {
		if ch.Reg != nil {
			list = append(list, ch)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}
