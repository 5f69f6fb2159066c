package state

import (
	"github.com/google/btree"
	"sort"
	"strconv"
	"time"
)

// Channel is a group of clients. Only the state goroutine may touch it.
type Channel struct {
	Name    string
	Created time.Time

	Topic      string
	TopicSetBy string
	TopicSetAt time.Time

	Modes ChannelModes
	Key   string
	Limit int
	Bans  []ListEntry
	// Excepts are the ban exceptions (+e), InviteExcepts the invite
	// exceptions (+I).
	Excepts       []ListEntry
	InviteExcepts []ListEntry

	invites map[*Client]time.Time // invitee → expiry (state/invite.go)

	// Reg is set for a registered group (state/regchannel.go).
	Reg *ChannelReg

	// NoReplay turns off the replay of recent history on JOIN for
	// clients without CHATHISTORY (ChanServ SET REPLAY OFF).
	NoReplay bool

	// RenamedAt is when it was last renamed to another name (RENAME's
	// cooldown; a change of case does not count); zero if never.
	RenamedAt time.Time

	history *historyRing // its newest history, made on first use (state/historyring.go)

	members map[*Client]*Membership
	folded  string                 // Fold(Name), the key of the channel indexes
	byNick  *btree.BTreeG[*Client] // the members in nick order (state/index.go)
}

// ListEntry is one entry of a channel's ban, exception or invite
// exception list.
type ListEntry struct {
	Mask  string
	SetBy string
	SetAt time.Time
}

// Membership is one client's status in one channel.
type Membership struct {
	Op    bool
	Voice bool
}

// Prefixes renders the membership's prefixes: all of them ("@+") when all is
// set (multi-prefix), otherwise the highest one.
func (m *Membership) Prefixes(all bool) string {
	s := ""
	if m.Op {
		s = "@"
		if !all {
			return s
		}
	}
	if m.Voice {
		s += "+"
	}
	return s
}

// ChannelModes is a set of channel flag modes.
type ChannelModes uint16

const (
	ChanInviteOnly ChannelModes = 1 << iota // +i
	ChanModerated                           // +m
	ChanNoOutside                           // +n
	ChanSecret                              // +s
	ChanTopicLock                           // +t
	ChanKeyed                               // +k (parameter in Key)
	ChanLimited                             // +l (parameter in Limit)
	ChanNoCTCP                              // +C: no CTCP but ACTION
)

var chanModeLetters = []struct {
	mode   ChannelModes
	letter byte
}{{ChanNoCTCP, 'C'}, {ChanInviteOnly, 'i'}, {ChanKeyed, 'k'}, {ChanLimited, 'l'}, {ChanModerated, 'm'}, {ChanNoOutside, 'n'}, {ChanSecret, 's'}, {ChanTopicLock, 't'}}

// ChanModeFor returns the flag mode for a letter, or 0 if it is not a flag.
func ChanModeFor(letter byte) ChannelModes {
	for _, m := range chanModeLetters {
		if m.letter == letter {
			return m.mode
		}
	}
	return 0
}

// Members returns the channel's members and their status. Callers must not
// modify the map.
func (ch *Channel) Members() map[*Client]*Membership { return ch.members }

// Membership returns c's status in the channel, or nil if c is not a member.
func (ch *Channel) Membership(c *Client) *Membership { return ch.members[c] }

// SortedMembers returns the members ordered by nick, for stable replies.
func (ch *Channel) SortedMembers() []*Client {
	list := make([]*Client, 0, len(ch.members))
	for c := range ch.members {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Nick < list[j].Nick })
	return list
}

// ModeString renders the flag modes with their parameters, e.g. "+ntk key".
// Parameters (key, limit) are shown only when showParams is set: they are
// for the channel's members only (RFC 2811 4.2.9).
func (ch *Channel) ModeString(showParams bool) (modes string, params []string) {
	b := []byte{'+'}
	for _, l := range chanModeLetters {
		if ch.Modes&l.mode == 0 {
			continue
		}
		b = append(b, l.letter)
		switch l.mode {
		case ChanKeyed:
			if showParams {
				params = append(params, ch.Key)
			}
		case ChanLimited:
			if showParams {
				params = append(params, strconv.Itoa(ch.Limit))
			}
		}
	}
	return string(b), params
}
