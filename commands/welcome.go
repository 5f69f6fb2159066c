package commands

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// sendWelcome sends the registration burst: 001-004, 005, LUSERS, MOTD.
// Everything but 001 and LUSERS depends only on the config, so it is
// encoded once per config (state.ConfigReplies) and copied to each client.
func sendWelcome(w *state.World, c *state.Client) {
	w.Numeric(c, irc.RPL_WELCOME, fmt.Sprintf("Welcome to the %s Network, %s", w.Config.Server.Network, c.Prefix()))
	sendReplies(w, c, w.ConfigReplies("welcome", welcomeReplies))
	sendISupport(w, c)
	sendLusers(w, c)
	sendMOTD(w, c)
}

// welcomeReplies are 002-004.
func welcomeReplies(w *state.World) []state.Reply {
	name := w.Config.Server.Name
	return []state.Reply{
		w.NewReply(irc.RPL_YOURHOST, fmt.Sprintf("Your host is %s, running version %s", name, Version)),
		w.NewReply(irc.RPL_CREATED, "This server was created "+w.Started.UTC().Format("Mon Jan 2 2006 at 15:04:05 UTC")),
		w.NewReply(irc.RPL_MYINFO, name, Version, userModes, channelModes, channelModesWithParam),
	}
}

func sendReplies(w *state.World, c *state.Client, replies []state.Reply) {
	for _, r := range replies {
		w.SendReply(c, r)
	}
}

// The modes chatd implements, as 004 and CHANMODES advertise them.
const (
	userModes             = "Biow"
	channelModes          = "CIbeiklmnostv"
	channelModesWithParam = "Ibeklov"
	maxModesPerLine       = 4
	maxListEntries        = 100
)

// botModeLetter is bot mode's user mode letter and WHO flag (BOT=B).
const botModeLetter = "B"

// rplWhoisBot is RPL_WHOISBOT, the line of a bot's WHOIS that says so.
const rplWhoisBot = "335"

// isupportTokens returns RPL_ISUPPORT's tokens, each true of this server.
func isupportTokens(w *state.World) []string {
	l := w.Config.Limits
	tokens := []string{
		"ACCOUNTEXTBAN=a",
		"AWAYLEN=" + strconv.Itoa(l.AwayLength),
		"BOT=" + botModeLetter,
		"CASEMAPPING=rfc1459",
		"CHANLIMIT=#:" + strconv.Itoa(l.MaxChannelsPerClient),
		"CHANMODES=beI,k,l,Cimnst",
		"CHANNELLEN=" + strconv.Itoa(l.ChannelLength),
		"CHANTYPES=#",
		"ELIST=CMNTU",
		"EXCEPTS=e",
		"EXTBAN=" + extbanPrefix + "," + extbanTypes,
		"HOSTLEN=64",
		"INVEX=I",
		"KICKLEN=" + strconv.Itoa(l.KickLength),
		maxlist(),
		"MAXTARGETS=" + strconv.Itoa(maxMsgTargets),
		"MODES=" + strconv.Itoa(maxModesPerLine),
		"MONITOR=" + strconv.Itoa(maxMonitor),
		"NETWORK=" + w.Config.Server.Network,
		"NICKLEN=" + strconv.Itoa(l.NickLength),
		"PREFIX=(ov)@+",
		"SAFELIST",
		"STATUSMSG=" + statusPrefixes,
		targmax(w),
		"TOPICLEN=" + strconv.Itoa(l.TopicLength),
		"USERLEN=" + strconv.Itoa(userLen),
		"UTF8ONLY",
		"WHOX",
	}
	if h := w.Config.History; h.Enabled {
		// draft/chathistory: the most one request returns, and the
		// message references CHATHISTORY takes.
		tokens = append(tokens, "CHATHISTORY="+strconv.Itoa(h.ChathistoryMax), "MSGREFTYPES=timestamp,msgid")
		sort.Strings(tokens) // in the order above, where they belong
	}
	if w.Config.Accounts.Enabled && w.Config.Accounts.Required {
		tokens = append(tokens, "draft/ACCOUNTREQUIRED")
	}
	return tokens
}

// sendISupport sends 005 lines of at most 13 tokens each.
func sendISupport(w *state.World, c *state.Client) {
	sendReplies(w, c, w.ConfigReplies("isupport", isupportReplies))
}

func isupportReplies(w *state.World) []state.Reply {
	var replies []state.Reply
	for tokens := isupportTokens(w); len(tokens) > 0; {
		n := min(13, len(tokens))
		params := append(tokens[:n:n], "are supported by this server")
		replies = append(replies, w.NewReply(irc.RPL_ISUPPORT, params...))
		tokens = tokens[n:]
	}
	return replies
}

// sendLusers answers LUSERS. On a cluster each node is a server: "local"
// counts are those of c's node, which is linked to every other one.
func sendLusers(w *state.World, c *state.Client) {
	users := w.UserCount()
	invisible := w.InvisibleCount()
	servers := max(1, len(w.Nodes()))
	local := w.NodeClients(c.Node)
	w.Numeric(c, irc.RPL_LUSERCLIENT, fmt.Sprintf("There are %d users and %d invisible on %d servers", users-invisible, invisible, servers))
	w.Numeric(c, irc.RPL_LUSEROP, strconv.Itoa(w.OperCount()), "operator(s) online")
	w.Numeric(c, irc.RPL_LUSERUNKNOWN, strconv.Itoa(w.UnknownCount()), "unknown connection(s)")
	w.Numeric(c, irc.RPL_LUSERCHANNELS, strconv.Itoa(len(w.Channels())), "channels formed")
	w.Numeric(c, irc.RPL_LUSERME, fmt.Sprintf("I have %d clients and %d servers", local, servers-1))
	u, most := strconv.Itoa(users), strconv.Itoa(w.MaxUsers())
	l, lmost := strconv.Itoa(local), most
	if servers > 1 {
		lmost = l // the most a node had is not kept: its own count now
	}
	w.Numeric(c, state.RplLocalUsers, l, lmost, fmt.Sprintf("Current local users %s, max %s", l, lmost))
	w.Numeric(c, state.RplGlobalUsers, u, most, fmt.Sprintf("Current global users %s, max %s", u, most))
}

func sendMOTD(w *state.World, c *state.Client) {
	sendReplies(w, c, w.ConfigReplies("motd", motdReplies))
}

func motdReplies(w *state.World) []state.Reply {
	lines := w.Config.MOTDLines()
	if len(lines) == 0 {
		return []state.Reply{w.NewReply(irc.ERR_NOMOTD, "MOTD File is missing")}
	}
	replies := []state.Reply{w.NewReply(irc.RPL_MOTDSTART, "- "+w.Config.Server.Name+" Message of the day - ")}
	for _, l := range lines {
		replies = append(replies, w.NewReply(irc.RPL_MOTD, "- "+strings.TrimRight(l, "\r")))
	}
	return append(replies, w.NewReply(irc.RPL_ENDOFMOTD, "End of /MOTD command."))
}
