package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// The course commands: the verbs of the course chat server, mapped onto
// channels ("groups") and private messages. HexChat and nc send unknown
// slash commands as-is, so "/cg games" arrives here as "CG games".

// groupName turns a course group name into a channel name.
func groupName(name string) string {
	if isChannel(name) {
		return name
	}
	return "#" + name
}

// restText joins the parameters from i on: "PM bob hello there" typed
// without a ':' arrives as several parameters and means one message.
func restText(m *irc.Message, i int) string {
	if len(m.Params) <= i {
		return ""
	}
	return strings.Join(m.Params[i:], " ")
}

func handlePM(w *state.World, c *state.Client, m *irc.Message) error {
	target := m.Params[0]
	if isChannel(target) {
		return numeric(irc.ERR_NOSUCHNICK, target, "No such nick (PM is for users; use GC for groups)")
	}
	return relay(w, c, &irc.Message{Tags: m.Tags, Command: "PRIVMSG", Params: []string{target, restText(m, 1)}}, "PRIVMSG")
}

func handleGC(w *state.World, c *state.Client, m *irc.Message) error {
	return relay(w, c, &irc.Message{Tags: m.Tags, Command: "PRIVMSG", Params: []string{groupName(m.Params[0]), restText(m, 1)}}, "PRIVMSG")
}

func handleCG(w *state.World, c *state.Client, m *irc.Message) error {
	name := groupName(m.Params[0])
	if ch := w.Channel(name); ch != nil {
		return fail("CG", "GROUP_EXISTS", ch.Name, "Group "+ch.Name+" already exists; use JG to join it")
	}
	return joinOne(w, c, name, "")
}

func handleJG(w *state.World, c *state.Client, m *irc.Message) error {
	name := groupName(m.Params[0])
	if ch := w.Channel(name); ch == nil || !canSee(c, ch) {
		return numeric(irc.ERR_NOSUCHCHANNEL, name, "No such channel (use CG to create a group)")
	}
	return joinOne(w, c, name, m.Param(1))
}

func handleLG(w *state.World, c *state.Client, m *irc.Message) error {
	return handlePart(w, c, &irc.Message{Command: "PART", Params: []string{groupName(m.Params[0]), restText(m, 1)}})
}

// handleListg lists the groups the client is in, as LIST replies.
func handleListg(w *state.World, c *state.Client, m *irc.Message) error {
	sendChannelList(w, c, sortedChannelsOf(c))
	return nil
}

// handleGroups lists every group the client may see, as LIST replies.
func handleGroups(w *state.World, c *state.Client, m *irc.Message) error {
	sendChannelList(w, c, sortedChannels(w))
	return nil
}

// handleOnline lists everyone online the client may see, as WHO replies.
func handleOnline(w *state.World, c *state.Client, m *irc.Message) error {
	sendWhoMatches(w, c, "*")
	w.Numeric(c, irc.RPL_ENDOFWHO, "*", "End of WHO list")
	return nil
}
