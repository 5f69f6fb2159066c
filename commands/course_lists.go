package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// LISTG, GROUPS and ONLINE answer in sentences, as NOTICEs from the server.
// The IRC forms of the same lists (LIST's 322 lines, WHO's 352 lines) look
// alike for LISTG and GROUPS, and WHO's flags ("H@", hop counts,
// user@host) read as something else to a person. Every client shows a
// server NOTICE as its text (irssi and WeeChat in the status or server
// window, HexChat in the server tab, where they also put LIST and WHO),
// and each reply starts by saying what it is. LIST and WHO remain for
// programs.

// handleListg lists the groups the client is in, with their member counts
// and topics. A client is in at most max_channels_per_client groups, so
// the reply is bounded.
func handleListg(w *state.World, c *state.Client, m *irc.Message) error {
	mine := sortedChannelsOf(c)
	if len(mine) == 0 {
		courseNotice(w, c, "You are in no groups. GROUPS lists every group; CG <name> creates one.")
		return nil
	}
	courseNotice(w, c, "Your groups ("+strconv.Itoa(len(mine))+"):")
	for _, ch := range mine {
		courseNotice(w, c, groupEntry(w, c, ch))
	}
	return nil
}

// handleGroups lists every group the client may see (a secret one only to
// its members), in slices over the channel index.
func handleGroups(w *state.World, c *state.Client, m *irc.Message) error {
	count := 0
	sliceWalk(w, c, w.ChannelsFrom, (*state.Channel).Folded, func(ch *state.Channel) int {
		if !canSee(c, ch) || (len(ch.Members()) == 0 && ch.Reg == nil) {
			return 1
		}
		if count == 0 {
			courseNotice(w, c, "Groups (JG <name> joins one):")
		}
		count++
		courseNotice(w, c, groupEntry(w, c, ch))
		return 1
	}, func() {
		switch count {
		case 0:
			courseNotice(w, c, "There are no groups yet. CG <name> creates one.")
		case 1:
			courseNotice(w, c, "1 group.")
		default:
			courseNotice(w, c, strconv.Itoa(count)+" groups.")
		}
	})
	return nil
}

// groupEntry is one group's line: "#games (2 members, you are in it):
// board games on Fridays", the topic cut to fit one line.
func groupEntry(w *state.World, c *state.Client, ch *state.Channel) string {
	n := len(ch.Members())
	s := ch.Name + " (" + plural(n, "member")
	if mem := ch.Membership(c); mem != nil {
		if mem.Op {
			s += ", you are its operator"
		} else {
			s += ", you are in it"
		}
	}
	if state.Fold(ch.Name) == state.Fold(w.Config.Server.Lobby) {
		s += ", where everyone starts"
	}
	s += ")"
	if ch.Topic != "" {
		s += ": " + ch.Topic
	}
	return truncateUTF8(s, noticeBudget(w, c))
}

// handleOnline names everyone online, packed into as few lines as fit,
// in nick order, in slices over the user index. Users with +i (invisible;
// irssi sets it by default) are named only to those who share a group
// with them, as WHO does; the others learn how many there are, so that
// the count is of everyone online (HELP ONLINE says so).
func handleOnline(w *state.World, c *state.Client, m *irc.Message) error {
	const first = "Online now: "
	budget := noticeBudget(w, c)
	var line strings.Builder
	line.WriteString(first)
	named, hidden := 0, 0
	flush := func() {
		courseNotice(w, c, line.String())
		line.Reset()
	}
	sliceWalk(w, c, w.UsersFrom, (*state.Client).Folded, func(u *state.Client) int {
		if u.Gone() || !u.Registered {
			return 1
		}
		if !namedOnline(c, u) {
			hidden++
			return 1
		}
		entry := u.Nick
		switch {
		case u == c:
			entry += " (you)"
		case u.Away != "":
			entry += " (away)"
		}
		if named > 0 {
			if line.Len()+2+len(entry) > budget {
				line.WriteByte(',')
				flush()
			} else {
				line.WriteString(", ")
			}
		}
		line.WriteString(entry)
		named++
		return 1
	}, func() {
		flush()
		total := named + hidden
		summary := plural(total, "person") + " online."
		if total != 1 {
			summary = strconv.Itoa(total) + " people online."
		}
		if hidden > 0 {
			summary = strings.TrimSuffix(summary, ".") + "; " + strconv.Itoa(hidden) +
				" of them invisible (+i), named only to people who share a group with them."
		}
		courseNotice(w, c, summary)
	})
	return nil
}

// namedOnline reports whether ONLINE names u to c: everyone but users with
// +i who share no channel with c.
func namedOnline(c, u *state.Client) bool {
	if u == c || u.Modes&state.UserInvisible == 0 {
		return true
	}
	for ch := range u.Channels() {
		if ch.Membership(c) != nil {
			return true
		}
	}
	return false
}

// courseNotice sends c one line of a course command's answer.
func courseNotice(w *state.World, c *state.Client, text string) {
	w.ServerMessage(c, "NOTICE", c.Nick, text)
}

// noticeBudget is the text a server NOTICE to c can carry in 512 bytes:
// ":<server> NOTICE <nick> :<text>\r\n".
func noticeBudget(w *state.World, c *state.Client) int {
	return state.MaxLineBytes - (len(w.Config.Server.Name) + len(c.Nick) + len(" NOTICE  :\r\n") + 1)
}

// plural is "1 member", "2 members".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
