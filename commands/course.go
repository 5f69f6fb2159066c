package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// The course commands: the verbs of the course chat server, mapped onto
// channels ("groups") and private messages. HexChat and nc send unknown
// slash commands as-is, so "/cg games" arrives here as "CG games". Every
// reply is a standard one (PRIVMSG, JOIN, PART, LIST and WHO numerics), so
// IRC clients show them as they would for the IRC verbs.

// groupName turns a course group name into a channel name.
func groupName(name string) string {
	if isChannel(name) {
		return name
	}
	return "#" + name
}

// groupList applies groupName to each entry of a comma-separated list.
func groupList(names string) string {
	list := splitList(names)
	for i, n := range list {
		list[i] = groupName(n)
	}
	return strings.Join(list, ",")
}

// restText joins the parameters from i on: "PM bob hello there" typed
// without a ':' arrives as several parameters and means one message.
func restText(m *irc.Message, i int) string {
	if len(m.Params) <= i {
		return ""
	}
	return strings.Join(m.Params[i:], " ")
}

// handlePM sends a private message: PM <nick>[,<nick>...] <message>.
func handlePM(w *state.World, c *state.Client, m *irc.Message) error {
	for _, target := range splitList(m.Params[0]) {
		if isChannel(target) {
			return numeric(irc.ERR_NOSUCHNICK, target, "No such nick (PM is for users; use GC for groups)")
		}
	}
	return relay(w, c, &irc.Message{Tags: m.Tags, Command: "PRIVMSG", Params: []string{m.Params[0], restText(m, 1)}}, "PRIVMSG", true)
}

// handleGC sends a message to groups: GC <group>[,<group>...] <message>.
func handleGC(w *state.World, c *state.Client, m *irc.Message) error {
	return relay(w, c, &irc.Message{Tags: m.Tags, Command: "PRIVMSG", Params: []string{groupList(m.Params[0]), restText(m, 1)}}, "PRIVMSG", true)
}

// handleCG creates a group and joins it as its operator; a group that
// already exists is refused with FAIL CG GROUP_EXISTS.
func handleCG(w *state.World, c *state.Client, m *irc.Message) error {
	name := groupName(m.Params[0])
	if ch := w.Channel(name); ch != nil {
		return fail("CG", "GROUP_EXISTS", ch.Name, "Group "+ch.Name+" already exists; use JG to join it")
	}
	if err := joinOne(w, c, name, ""); err != nil {
		return err
	}
	if c.Account != "" && accountsOn(w) {
		servNotice(w, c, chanServ, "To keep "+name+" (its owner, topic and modes) when it is empty and across restarts, type: /msg ChanServ REGISTER "+name)
	}
	return nil
}

// handleJG joins a group that exists (403 otherwise: CG creates groups).
func handleJG(w *state.World, c *state.Client, m *irc.Message) error {
	name := groupName(m.Params[0])
	if ch := w.Channel(name); ch == nil || !canSee(c, ch) {
		return numeric(irc.ERR_NOSUCHCHANNEL, name, "No such channel (use CG to create a group)")
	}
	return joinOne(w, c, name, m.Param(1))
}

// handleLG leaves groups: LG <group>[,<group>...] [<reason>...].
func handleLG(w *state.World, c *state.Client, m *irc.Message) error {
	groups := groupList(m.Params[0])
	if groups == "" {
		return numeric(irc.ERR_NEEDMOREPARAMS, "LG", "Not enough parameters")
	}
	return handlePart(w, c, &irc.Message{Command: "PART", Params: []string{groups, restText(m, 1)}})
}

// handleListg lists the groups the client is in, as LIST replies.
func handleListg(w *state.World, c *state.Client, m *irc.Message) error {
	sendChannelList(w, c, sortedChannelsOf(c))
	return nil
}

// handleGroups lists every group the client may see, with its member
// count and topic, as LIST replies.
func handleGroups(w *state.World, c *state.Client, m *irc.Message) error {
	return handleList(w, c, &irc.Message{Command: "LIST"})
}

// handleOnline lists everyone online the client may see, as the replies to
// WHO * (a 352 per user, then 315).
func handleOnline(w *state.World, c *state.Client, m *irc.Message) error {
	sendWhoMatches(w, c, "*", whoQuery{}, func() { w.Numeric(c, irc.RPL_ENDOFWHO, "*", "End of WHO list") })
	return nil
}
