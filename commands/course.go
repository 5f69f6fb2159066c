package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// The course commands: the verbs of the course chat server, mapped onto
// channels ("groups") and private messages. HexChat and nc send unknown
// slash commands as-is, so "/cg games" arrives here as "CG games" (irssi
// and WeeChat with the scripts in clients/). What they change is told
// with the standard messages (PRIVMSG, JOIN, PART), so clients show it as
// they would for the IRC verbs. Their refusals are IRCv3 standard replies
// (FAIL <verb> <code>), worded for the person who typed the command: what
// went wrong and what to type instead. Numerics would lose that text in
// irssi, which prints its own for 401 and 403 ("No such channel"), and
// HexChat shows a FAIL in the window the command was typed in, numerics
// only in the server tab. (A JOIN refusal from joinOne, such as 475 for a
// key, stays the numeric every client knows.) The lists are sentences
// (course_lists.go).

// groupName turns a course group name into a channel name.
func groupName(name string) string {
	if isChannel(name) {
		return name
	}
	return "#" + name
}

// bareGroup is the name as typed in a course command: without the '#'.
func bareGroup(channel string) string { return strings.TrimPrefix(channel, "#") }

// restText joins the parameters from i on: "PM bob hello there" typed
// without a ':' arrives as several parameters and means one message.
func restText(m *irc.Message, i int) string {
	if len(m.Params) <= i {
		return ""
	}
	return strings.Join(m.Params[i:], " ")
}

// needParams refuses a course command given fewer than n parameters, with
// its usage, since a person typed it.
func needParams(m *irc.Message, n int, usage string) error {
	if len(m.Params) < n || m.Params[0] == "" {
		return fail(m.Command, "NEED_MORE_PARAMS", "Not enough parameters: "+usage)
	}
	return nil
}

// handlePM sends a private message: PM <nick>[,<nick>...] <message>.
func handlePM(w *state.World, c *state.Client, m *irc.Message) error {
	if err := needParams(m, 2, "PM <nick> <message>"); err != nil {
		return err
	}
	return courseRelay(w, c, m, func(target string) (string, error) {
		if isChannel(target) {
			return "", fail("PM", "NOT_A_PERSON", target,
				target+" is a group: to talk there, type GC "+bareGroup(target)+" <message>")
		}
		u := w.ClientByNick(target)
		if u == nil || !u.Registered {
			return "", fail("PM", "NO_SUCH_NICK", target,
				"Nobody called "+target+" is online (ONLINE lists who is)")
		}
		return u.Nick, nil
	})
}

// handleGC sends a message to groups: GC <group>[,<group>...] <message>.
func handleGC(w *state.World, c *state.Client, m *irc.Message) error {
	if err := needParams(m, 2, "GC <group> <message>"); err != nil {
		return err
	}
	return courseRelay(w, c, m, func(target string) (string, error) {
		name := groupName(target)
		ch := w.Channel(name)
		if ch == nil || !canSee(c, ch) {
			return "", noSuchGroup("GC", name)
		}
		switch speakBlock(w, c, ch) {
		case 'n':
			return "", fail("GC", "NOT_IN_GROUP", ch.Name,
				"You are not in group "+ch.Name+": join it first with JG "+bareGroup(ch.Name))
		case 'm':
			return "", fail("GC", "MODERATED", ch.Name,
				"Only the operators of "+ch.Name+" and those they give a voice (+v) may talk there now (+m)")
		case 'b':
			return "", fail("GC", "BANNED", ch.Name,
				"You are banned from talking in "+ch.Name+" (+b)")
		}
		return ch.Name, nil
	})
}

// courseRelay sends the text after a PM's or GC's first parameter to each
// target that check accepts (check returns the target as it is to be
// addressed), as a PRIVMSG with the course echo; a refused target is told
// with check's error and the others still get the message.
func courseRelay(w *state.World, c *state.Client, m *irc.Message, check func(string) (string, error)) error {
	text := restText(m, 1)
	if text == "" {
		return fail(m.Command, "NO_TEXT", "No text to send: type the message after "+m.Params[0])
	}
	list, over := targets(m.Params[0], maxMsgTargets)
	var ok []string
	for _, target := range list {
		name, err := check(target)
		if err != nil {
			sendError(w, c, err)
			continue
		}
		ok = append(ok, name)
	}
	if len(ok) > 0 {
		msg := &irc.Message{Tags: m.Tags, Command: "PRIVMSG", Params: []string{strings.Join(ok, ","), text}}
		if err := relay(w, c, msg, "PRIVMSG", true); err != nil {
			return err
		}
	}
	if over != "" {
		return tooManyTargets(over, maxMsgTargets)
	}
	return nil
}

// noSuchGroup is the refusal for a group that does not exist (or that the
// client may not see: a secret one it is not in).
func noSuchGroup(verb, name string) error {
	return fail(verb, "NO_SUCH_GROUP", name,
		"There is no group "+name+" (GROUPS lists them; CG "+bareGroup(name)+" creates it)")
}

// badGroupName refuses a name that cannot be a group's, saying why.
func badGroupName(w *state.World, verb, name string) error {
	if strings.Contains(name, " ") {
		return oneWordGroup(verb, bareGroup(name))
	}
	reason := invisibleReason("Not a group name", name)
	if reason == "" {
		reason = name + " is not a group name: a group name is one word without commas, at most " +
			strconv.Itoa(w.Config.Limits.ChannelLength-1) + " characters"
	}
	return fail(verb, "INVALID_GROUP_NAME", name, reason)
}

// oneWordGroup refuses a group name of several words.
func oneWordGroup(verb, words string) error {
	return fail(verb, "INVALID_GROUP_NAME", "A group name is one word: \""+words+
		"\" has spaces; try "+strings.Join(strings.Fields(words), "-"))
}

// handleCG creates a group and joins it as its operator; a group that
// already exists is refused with FAIL CG GROUP_EXISTS. The name is one
// word: "CG my group" would otherwise quietly create #my.
func handleCG(w *state.World, c *state.Client, m *irc.Message) error {
	if err := needParams(m, 1, "CG <group>"); err != nil {
		return err
	}
	if len(m.Params) > 1 {
		return oneWordGroup("CG", restText(m, 0))
	}
	name := groupName(m.Params[0])
	if !validChannel(name, w.Config.Limits.ChannelLength) {
		return badGroupName(w, "CG", name)
	}
	if ch := w.Channel(name); ch != nil {
		if ch.Membership(c) != nil {
			return alreadyInGroup(w, c, "CG", ch)
		}
		return fail("CG", "GROUP_EXISTS", ch.Name, "Group "+ch.Name+" already exists; type JG "+bareGroup(ch.Name)+" to join it")
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
	if err := needParams(m, 1, "JG <group> [<key>]"); err != nil {
		return err
	}
	name := groupName(m.Params[0])
	if !validChannel(name, w.Config.Limits.ChannelLength) {
		return badGroupName(w, "JG", name)
	}
	ch := w.Channel(name)
	if ch == nil || !canSee(c, ch) {
		return noSuchGroup("JG", name)
	}
	if ch.Membership(c) != nil {
		return alreadyInGroup(w, c, "JG", ch)
	}
	return joinOne(w, c, name, m.Param(1))
}

// alreadyInGroup tells a client that asked to join or create a group it is
// in: not an error (JOIN would say nothing at all), so a NOTE.
func alreadyInGroup(w *state.World, c *state.Client, verb string, ch *state.Channel) error {
	w.ServerMessage(c, "NOTE", verb, "ALREADY_IN_GROUP", ch.Name,
		"You are already in "+ch.Name+"; type GC "+bareGroup(ch.Name)+" <message> to talk there")
	return nil
}

// handleLG leaves groups: LG <group>[,<group>...] [<reason>...].
func handleLG(w *state.World, c *state.Client, m *irc.Message) error {
	if err := needParams(m, 1, "LG <group> [<reason>]"); err != nil {
		return err
	}
	reason := restText(m, 1)
	max := joinTargetLimit(w)
	list, over := targets(m.Params[0], max)
	for _, target := range list {
		name := groupName(target)
		ch := w.Channel(name)
		switch {
		case ch == nil || !canSee(c, ch):
			sendError(w, c, noSuchGroup("LG", name))
		case ch.Membership(c) == nil:
			sendError(w, c, fail("LG", "NOT_IN_GROUP", ch.Name, "You are not in group "+ch.Name+" (LISTG lists yours)"))
		default:
			part(w, c, ch, reason)
		}
	}
	if over != "" {
		return tooManyTargets(over, max)
	}
	return nil
}
