package commands

import (
	"strconv"
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleList answers LIST: 321, a 322 for each channel the client may see
// (secret ones only to their members) that matches, 323. The parameters
// are channel names, or search conditions (ELIST=CMNTU in RPL_ISUPPORT),
// comma-separated, in the first parameter or the second:
//
//	#name       that channel
//	mask        channels whose name matches (M: '*' and '?'), any of them
//	!mask       channels whose name does not match (N), none of them
//	>n, <n      more or fewer than n users (U)
//	C>n, C<n    created more or less than n minutes ago (C)
//	T>n, T<n    topic set more or less than n minutes ago (T); a channel
//	            without a topic matches neither
//
// Conditions are all required. Names alone are looked up; anything else
// walks every channel in order, in slices (commands/slices.go). At most
// maxQueryTargets names and conditions are taken (407 for the rest).
func handleList(w *state.World, c *state.Client, m *irc.Message) error {
	w.Numeric(c, irc.RPL_LISTSTART, "Channel", "Users  Name")
	end := func() { w.Numeric(c, irc.RPL_LISTEND, "End of /LIST") }
	items, over := targets(strings.Join(m.Params[:min(2, len(m.Params))], ","), maxQueryTargets)
	if over != "" {
		end = func() {
			sendError(w, c, tooManyTargets(over, maxQueryTargets))
			w.Numeric(c, irc.RPL_LISTEND, "End of /LIST")
		}
	}
	q, names := parseListQuery(items)
	if len(names) > 0 && q.empty() {
		for _, n := range names {
			if ch := w.Channel(n); ch != nil {
				sendListEntry(w, c, ch)
			}
		}
		end()
		return nil
	}
	for _, n := range names {
		q.masks = append(q.masks, state.Fold(n)) // with conditions, a name is a mask
	}
	now := w.Now()
	sliceWalk(w, c, w.ChannelsFrom, (*state.Channel).Folded, func(ch *state.Channel) int {
		if q.matches(ch, now) {
			sendListEntry(w, c, ch)
		}
		return q.cost(ch)
	}, end)
	return nil
}

// listQuery is LIST's search conditions.
type listQuery struct {
	masks, notMasks          []string // folded
	minUsers, maxUsers       int      // > and <; -1 when not given
	createdBefore, createdIn time.Duration
	topicBefore, topicIn     time.Duration // 0 when not given
	hasCreated, hasTopic     [2]bool       // [0]: C>/T>, [1]: C</T<
}

// parseListQuery splits LIST's parameters into conditions and plain
// channel names. Something that is neither (a condition with a bad
// number) is ignored.
func parseListQuery(items []string) (q listQuery, names []string) {
	q.minUsers, q.maxUsers = -1, -1
	for _, item := range items {
		minutes := func(s string) (time.Duration, bool) {
			n, err := strconv.Atoi(s)
			return time.Duration(n) * time.Minute, err == nil
		}
		switch {
		case item[0] == '>' || item[0] == '<':
			n, err := strconv.Atoi(item[1:])
			if err != nil {
				continue
			}
			if item[0] == '>' {
				q.minUsers = n
			} else {
				q.maxUsers = n
			}
		case len(item) > 2 && (item[0] == 'C' || item[0] == 'T') && (item[1] == '>' || item[1] == '<'):
			d, ok := minutes(item[2:])
			if !ok {
				continue
			}
			older := item[1] == '>'
			switch {
			case item[0] == 'C' && older:
				q.createdBefore, q.hasCreated[0] = d, true
			case item[0] == 'C':
				q.createdIn, q.hasCreated[1] = d, true
			case older:
				q.topicBefore, q.hasTopic[0] = d, true
			default:
				q.topicIn, q.hasTopic[1] = d, true
			}
		case item[0] == '!':
			q.notMasks = append(q.notMasks, state.Fold(item[1:]))
		case strings.ContainsAny(item, "*?"):
			q.masks = append(q.masks, state.Fold(item))
		default:
			names = append(names, item)
		}
	}
	return q, names
}

// empty reports whether the query has no condition at all.
func (q listQuery) empty() bool {
	return len(q.masks) == 0 && len(q.notMasks) == 0 && q.minUsers < 0 && q.maxUsers < 0 &&
		q.hasCreated == [2]bool{} && q.hasTopic == [2]bool{}
}

// matches reports whether ch meets every condition at time now.
func (q listQuery) matches(ch *state.Channel, now time.Time) bool {
	users := len(ch.Members())
	if q.minUsers >= 0 && users <= q.minUsers || q.maxUsers >= 0 && users >= q.maxUsers {
		return false
	}
	age := now.Sub(ch.Created)
	if q.hasCreated[0] && age <= q.createdBefore || q.hasCreated[1] && age >= q.createdIn {
		return false
	}
	if q.hasTopic != [2]bool{} {
		if ch.Topic == "" {
			return false
		}
		topicAge := now.Sub(ch.TopicSetAt)
		if q.hasTopic[0] && topicAge <= q.topicBefore || q.hasTopic[1] && topicAge >= q.topicIn {
			return false
		}
	}
	for _, m := range q.notMasks {
		if wildcardMatch(m, ch.Folded()) {
			return false
		}
	}
	if len(q.masks) == 0 {
		return true
	}
	for _, m := range q.masks {
		if wildcardMatch(m, ch.Folded()) {
			return true
		}
	}
	return false
}

// cost is the work of matching ch, in sliceWalk's units.
func (q listQuery) cost(ch *state.Channel) int {
	work := 1
	for _, m := range q.masks {
		work += matchCost(m, len(ch.Folded()))
	}
	for _, m := range q.notMasks {
		work += matchCost(m, len(ch.Folded()))
	}
	return work
}
