package commands

import (
	"strings"

	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// Custom commands: the [[command]] tables of the config, verbs an admin
// defines without code. They are looked up in the config in force, so
// REHASH adds, changes and removes them; they arrive as lines from the
// client like any other, so flood control paces them like any other.
//
// A reply command answers with its text, one server NOTICE per line (as
// the course lists do). A send_to command passes the words after it on,
// as a PRIVMSG from the user, to its channel or nick: the admin chose the
// target, so a student may ASK #teachers without joining it (+n and +m do
// not apply; a ban there does). The sender gets the course commands' copy
// (course_echo.go) when it is in that channel or the target is a nick, and
// a NOTE saying where the message went when it is not in the channel.

// runCustom runs the [[command]] cmd for c.
func runCustom(w *state.World, c *state.Client, m *irc.Message, cmd *conf.Command) error {
	verb := strings.ToUpper(cmd.Name)
	if cmd.Reply != "" {
		for _, l := range cmd.ReplyLines() {
			courseNotice(w, c, l)
		}
		return nil
	}
	text := restText(m, 0)
	if text == "" {
		return fail(verb, "NO_TEXT", "Type your message after "+verb+", e.g. "+verb+" hello")
	}
	msg := &irc.Message{Prefix: prefixOf(c), Command: "PRIVMSG", Params: []string{cmd.SendTo, text}}
	if isChannel(cmd.SendTo) {
		ch := w.Channel(cmd.SendTo)
		if ch == nil || len(ch.Members()) == 0 {
			return fail(verb, "NO_RECIPIENT", cmd.SendTo, "Nobody is in "+cmd.SendTo+" right now; try again later")
		}
		if !chanVoiced(w, c, ch) && isBanned(ch, c) {
			return fail(verb, "BANNED", ch.Name, "You are banned from "+ch.Name+" (+b)")
		}
		msg.Params[0] = ch.Name
		if err := checkLineLength(msg); err != nil {
			return err
		}
		w.MarkActive(c)
		out := w.NewRelay(msg, clientTags(m.Tags))
		out.ToChannel(ch, c, 0)
		if ch.Membership(c) != nil {
			echo(w, c, out, true, ch.Name, true)
		} else {
			w.ServerMessage(c, "NOTE", verb, "SENT", ch.Name, "Sent to "+ch.Name+"; answers come to you there or as private messages")
		}
		return nil
	}
	to := w.ClientByNick(cmd.SendTo)
	if to == nil || !to.Registered {
		return fail(verb, "NO_RECIPIENT", cmd.SendTo, cmd.SendTo+" is not online right now; try again later")
	}
	msg.Params[0] = to.Nick
	if err := checkLineLength(msg); err != nil {
		return err
	}
	w.MarkActive(c)
	out := w.NewRelay(msg, clientTags(m.Tags))
	out.To(to)
	if to != c {
		echo(w, c, out, true, to.Nick, false)
	}
	return nil
}

// customUsage is a [[command]]'s usage in HELP.
func customUsage(cmd *conf.Command) string {
	if cmd.SendTo != "" {
		return strings.ToUpper(cmd.Name) + " <message>"
	}
	return strings.ToUpper(cmd.Name)
}

// customHelp is a [[command]]'s line in HELP: its own, or one made up
// from what it does.
func customHelp(cmd *conf.Command) string {
	switch {
	case cmd.Help != "":
		return cmd.Help
	case cmd.SendTo != "":
		return "Send a message to " + cmd.SendTo + "."
	}
	return "Show this server's " + strings.ToLower(cmd.Name) + "."
}
