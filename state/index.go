package state

import "github.com/google/btree"

// Ordered indexes of registered users (by casefolded nick), channels (by
// casefolded name) and each channel's members (by casefolded nick). They
// give replies a stable order without sorting, and let a long reply (WHO,
// LIST, NAMES over thousands) be produced in slices that resume after the
// last name sent, however the world changed in between. Kept up to date by
// the mutation methods (SetNick, Register, Quit, CreateChannel, AddMember,
// RemoveMember); state goroutine only, like everything in World.

// indexDegree is the B-tree degree: nodes of up to 2*degree-1 entries keep
// both the depth and the per-node copying small.
const (
	indexDegree  = 16
	memberDegree = 8
)

func clientLess(a, b *Client) bool   { return a.folded < b.folded }
func channelLess(a, b *Channel) bool { return a.folded < b.folded }
func newUserIndex() *btree.BTreeG[*Client] {
	return btree.NewG(indexDegree, clientLess)
}
func newChannelIndex() *btree.BTreeG[*Channel] {
	return btree.NewG(indexDegree, channelLess)
}
func newMemberIndex() *btree.BTreeG[*Client] {
	return btree.NewG(memberDegree, clientLess)
}

// Folded is the client's casefolded nick ("" before NICK).
func (c *Client) Folded() string { return c.folded }

// Folded is the channel's casefolded name.
func (ch *Channel) Folded() string { return ch.folded }

// UsersFrom calls fn for each registered user whose folded nick sorts
// after after ("" for all), in order, until fn returns false.
func (w *World) UsersFrom(after string, fn func(*Client) bool) {
	ascendAfter(w.users, clientLess, &Client{folded: after}, after == "", fn)
}

// ChannelsFrom calls fn for each channel whose folded name sorts after
// after ("" for all), in order, until fn returns false.
func (w *World) ChannelsFrom(after string, fn func(*Channel) bool) {
	ascendAfter(w.chanIndex, channelLess, &Channel{folded: after}, after == "", fn)
}

// MembersFrom calls fn for each member whose folded nick sorts after after
// ("" for all), in order, until fn returns false.
func (ch *Channel) MembersFrom(after string, fn func(*Client, *Membership) bool) {
	ascendAfter(ch.byNick, clientLess, &Client{folded: after}, after == "", func(c *Client) bool {
		return fn(c, ch.members[c])
	})
}

// ascendAfter walks t from pivot, skipping pivot itself (the resume point
// was already sent) unless from the start.
func ascendAfter[T any](t *btree.BTreeG[T], less func(a, b T) bool, pivot T, all bool, fn func(T) bool) {
	if all {
		t.Ascend(btree.ItemIteratorG[T](fn))
		return
	}
	t.AscendGreaterOrEqual(pivot, func(item T) bool {
		if !less(pivot, item) { // equal to the resume point: already sent
			return true
		}
		return fn(item)
	})
}
