package commands

import (
	"sort"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// HELP is a newcomer's first stop, so its index fits one screen: the
// course commands in plain words, the config's [[command]]s the same way,
// then the IRC commands by name only, grouped by what they are for;
// HELP <command> explains any one.

// courseVerbs are the course chat server's commands, in the order HELP
// lists them.
var courseVerbs = []string{"PM", "CG", "JG", "LG", "GC", "LISTG", "GROUPS", "ONLINE"}

// helpGroups are the IRC commands as the HELP index lists them. A verb
// in the table but in no group is listed under "other", so none is ever
// left out (TestHelpGroupsCoverTheTable keeps this list honest).
var helpGroups = []struct {
	title string
	verbs []string
}{
	{"talk", []string{"PRIVMSG", "NOTICE", "TAGMSG", "BATCH", "CHATHISTORY", "MARKREAD", "REDACT"}},
	{"channels", []string{"JOIN", "PART", "TOPIC", "NAMES", "LIST", "INVITE", "KICK", "MODE", "RENAME"}},
	{"people", []string{"WHO", "WHOIS", "WHOWAS", "ISON", "USERHOST", "MONITOR"}},
	{"yourself", []string{"NICK", "AWAY", "SETNAME", "QUIT"}},
	{"accounts", []string{"REGISTER", "NICKSERV", "CHANSERV", "AUTHENTICATE"}},
	{"server", []string{"HELP", "MOTD", "LUSERS", "VERSION", "TIME", "INFO", "LINKS"}},
	{"connecting", []string{"PASS", "USER", "CAP", "PING", "PONG"}},
	{"operators", []string{"OPER", "KILL", "KLINE", "UNKLINE", "WALLOPS", "REHASH", "STATS"}},
}

// helpAliases are verbs that are another verb's second name; the index
// shows them beside it ("NICKSERV (NS)").
var helpAliases = map[string]string{"NS": "NICKSERV", "CS": "CHANSERV", "HELPOP": "HELP"}

// helpMore is what HELP <command> adds to a command's one line, for the
// commands a newcomer is most likely to ask about.
var helpMore = map[string][]string{
	"PM": {
		"The words after the nick are the message; no ':' is needed.",
		"Several people at once: PM bob,carol hello.",
		"Your copy shows in the conversation with them (irssi, WeeChat with",
		"clients/chatd.py); HexChat says it was sent: /query <nick> there.",
		"To someone with an account who is offline: kept, and delivered when they log in.",
	},
	"CG": {
		"A group is a channel: CG games makes #games. The name is one word.",
		"As its operator you may set its topic (TOPIC #games :...) and modes.",
	},
	"JG": {"The group must exist (GROUPS lists them); the key is for a group with +k."},
	"LG": {"Words after the group are your reason; its members see them."},
	"GC": {
		"The words after the group are the message; no ':' is needed.",
		"You must be in the group (JG joins it).",
	},
	"LISTG":  {"Each with its number of members and its topic."},
	"GROUPS": {"A secret group (+s) is listed only to its members."},
	"ONLINE": {
		"Everyone online, by nick, then how many that is.",
		"People with user mode +i (invisible; irssi sets it for you) are named",
		"only to those who share a group with them, and counted for everyone.",
		"MODE <your nick> -i makes you visible to all.",
	},
	"HELP": {"In irssi, WeeChat and HexChat type /quote HELP: /help is the client's own help."},
	"PRIVMSG": {
		"@#channel reaches its operators, +#channel its voiced members and operators (STATUSMSG).",
		"To someone with an account who is offline: kept, and delivered when they log in.",
	},
	"BATCH": {
		"Needs the draft/multiline and batch capabilities; your client does it for you.",
		"Each line: @batch=<ref> PRIVMSG <target> :<line>, all for the batch's target, all",
		"PRIVMSG or all NOTICE; @batch=<ref>;draft/multiline-concat joins a line to the",
		"one before without a line break. Nothing is sent until BATCH -<ref>.",
		"Limits: draft/multiline=max-bytes=N,max-lines=M in CAP LS. Clients without the",
		"capability get the lines one by one. A batch left open too long is dropped.",
		"Refusals: FAIL BATCH MULTILINE_MAX_BYTES, MULTILINE_MAX_LINES,",
		"MULTILINE_INVALID_TARGET, MULTILINE_INVALID, TIMEOUT.",
	},
	"CHATHISTORY": {
		"Channels you are in, and your own conversations; your client asks for you.",
		"Clients without it get a channel's last messages when they join.",
	},
	"LIST": {
		"Names, masks (#c*) and !masks, comma-separated; >n and <n: more or fewer than n users;",
		"C>m, C<m: created more or less than m minutes ago; T>m, T<m: topic set so long ago.",
	},
	"MODE": {
		"User modes: +i invisible, +w wallops, +B bot (WHOIS 335, WHO flag B, the bot tag).",
		"Channel lists: +b bans (367/368), +e ban exceptions (348/349), +I invite exceptions",
		"(346/347), each up to 100 (478 when full): nick!user@host masks, $a:<account>,",
		"and $m:<mask>, a mute (may join, not speak). +C no CTCP; +iklmnst; +o/+v give status.",
	},
	"WHO": {
		"Replies are 352 lines, then 315. WHOX: WHO <mask> %<fields>[,<token>] answers 354",
		"lines with the fields asked for, in this order: t token, c channel, u user, i IP,",
		"h host, s server, n nick, f flags, d hops, l idle seconds, a account (0: none),",
		"o op level, r realname.",
	},
	"MONITOR": {
		"MONITOR + nick,nick adds (at most 100; 734 when full), - removes, C clears,",
		"L lists them (732, 733), S shows who is online (730) and who is not (731).",
	},
}

// handleHelp answers HELP [<subject>] as Modern describes: 704 with a
// title, 705 lines, 706 last; 524 alone for an unknown subject. With no
// subject the subject is "*" and the answer is the index. A command's
// title is its usage and what it does; some have a few lines more.
func (t table) handleHelp(w *state.World, c *state.Client, m *irc.Message) error {
	subject := m.Param(0)
	topic := strings.ToUpper(subject)
	if topic == "" {
		t.sendHelpIndex(w, c)
		return nil
	}
	if alias, ok := helpAliases[topic]; ok {
		topic = alias
	}
	cmd, ok := t[topic]
	if custom := w.Config.FindCommand(topic); !ok && custom != nil {
		cmd, ok = command{usage: customUsage(custom), help: customHelp(custom)}, true
	}
	if !ok {
		return numeric(state.ErrHelpNotFound, subject, "No help available on this topic; HELP lists the commands")
	}
	w.Numeric(c, state.RplHelpStart, topic, helpLine(cmd))
	for _, l := range helpMore[topic] {
		w.Numeric(c, state.RplHelpTxt, topic, l)
	}
	w.Numeric(c, state.RplEndOfHelp, topic, "End of HELP "+topic)
	return nil
}

// sendHelpIndex sends HELP's index: one screen.
func (t table) sendHelpIndex(w *state.World, c *state.Client) {
	line := func(s string) { w.Numeric(c, state.RplHelpTxt, "*", s) }
	w.Numeric(c, state.RplHelpStart, "*", "chatd help")
	if lobby := w.Config.Server.Lobby; lobby != "" {
		line("Everyone starts in " + lobby + ": what you say there, everyone reads.")
	}
	line("Course commands (a group is a channel; its name needs no #):")
	width := 0
	for _, v := range courseVerbs {
		width = max(width, len(t[v].usage))
	}
	for _, v := range courseVerbs {
		cmd := t[v]
		line("  " + cmd.usage + strings.Repeat(" ", width-len(cmd.usage)) + "  " + lowerFirst(strings.TrimSuffix(cmd.help, ".")))
	}
	if custom := w.Config.Commands; len(custom) > 0 {
		line("Commands of this server:")
		width := 0
		for i := range custom {
			width = max(width, len(customUsage(&custom[i])))
		}
		for i := range custom {
			usage := customUsage(&custom[i])
			line("  " + usage + strings.Repeat(" ", width-len(usage)) + "  " + lowerFirst(strings.TrimSuffix(customHelp(&custom[i]), ".")))
		}
	}
	line("IRC commands, by what they are for:")
	listed := map[string]bool{}
	for _, v := range courseVerbs {
		listed[v] = true
	}
	for alias := range helpAliases {
		listed[alias] = true
	}
	for _, g := range helpGroups {
		if g.title == "accounts" && !accountsOn(w) {
			for _, v := range g.verbs {
				listed[v] = true
			}
			continue
		}
		line(helpGroupLine(t, g.title, g.verbs, listed))
	}
	var other []string
	for v := range t {
		if !listed[v] {
			other = append(other, v)
		}
	}
	if len(other) > 0 {
		sort.Strings(other)
		line(helpGroupLine(t, "other", other, listed))
	}
	w.Numeric(c, state.RplEndOfHelp, "*", "HELP <command> explains one (in irssi, WeeChat and HexChat: /quote HELP <command>)")
}

// helpGroupLine is "  talk:      PRIVMSG NOTICE TAGMSG", each verb with its
// aliases; it marks the verbs listed.
func helpGroupLine(t table, title string, verbs []string, listed map[string]bool) string {
	var names []string
	for _, v := range verbs {
		if _, ok := t[v]; !ok {
			continue
		}
		listed[v] = true
		name := v
		var aliases []string
		for alias, of := range helpAliases {
			if of == v {
				aliases = append(aliases, alias)
			}
		}
		if len(aliases) > 0 {
			sort.Strings(aliases)
			name += " (" + strings.Join(aliases, ", ") + ")"
		}
		names = append(names, name)
	}
	label := "  " + title + ":"
	return label + strings.Repeat(" ", max(1, 14-len(label))) + strings.Join(names, " ")
}

// helpLine is a command's title in HELP <command>: its usage and what it
// does.
func helpLine(cmd command) string { return cmd.usage + " - " + lowerFirst(cmd.help) }

// lowerFirst makes "Send one person..." fit after a usage column.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
