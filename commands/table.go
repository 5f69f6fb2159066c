package commands

// newTable builds the dispatch table: verb, handler, minimum parameters,
// whether it works before registration, and its HELP lines.
func newTable() table {
	t := table{
		"PASS":     {handle: handlePass, minParams: 1, preReg: true, usage: "PASS <password>", help: "Give the server password (before NICK/USER)."},
		"NICK":     {handle: handleNick, minParams: 0, preReg: true, usage: "NICK <nick>", help: "Choose or change your nickname: ASCII letters, digits and []\\`_^{|}-, not starting with a digit or -. Refused (435) while a ban silences you in a channel."},
		"USER":     {handle: handleUser, minParams: 4, preReg: true, usage: "USER <user> 0 * :<real name>", help: "Register your username and real name."},
		"CAP":      {handle: handleCap, minParams: 1, preReg: true, usage: "CAP LS|LIST|REQ|END [...]", help: "Negotiate IRCv3 capabilities."},
		"PING":     {handle: handlePing, minParams: 1, preReg: true, usage: "PING <token>", help: "Ask the server to answer PONG <token>."},
		"PONG":     {handle: handlePong, minParams: 0, preReg: true, usage: "PONG <token>", help: "Answer the server's PING."},
		"QUIT":     {handle: handleQuit, minParams: 0, preReg: true, usage: "QUIT [:<reason>]", help: "Leave the server; others see the reason."},
		"JOIN":     {handle: handleJoin, minParams: 1, usage: "JOIN <#channel>[,<#channel>...] [<key>...] | JOIN 0", help: "Join channels, creating new ones; JOIN 0 leaves all. A name is # then any visible characters: no spaces, commas, control or invisible (zero-width, bidi) ones."},
		"PART":     {handle: handlePart, minParams: 1, usage: "PART <#channel>[,...] [:<reason>]", help: "Leave channels."},
		"PRIVMSG":  {handle: handlePrivmsg, minParams: 0, usage: "PRIVMSG <target>[,...] :<text>", help: "Send a message to users or channels."},
		"NOTICE":   {handle: handleNotice, minParams: 0, usage: "NOTICE <target>[,...] :<text>", help: "Send a notice (never answered automatically)."},
		"BATCH":    {handle: handleBatch, minParams: 1, usage: "BATCH +<ref> draft/multiline <target> | BATCH -<ref>", help: "Send a message of several lines as one (IRCv3 draft/multiline): open a batch, send its lines tagged @batch=<ref>, close it."},
		"TAGMSG":   {handle: handleTagmsg, minParams: 0, usage: "@tags TAGMSG <target>", help: "Send only message tags (IRCv3 message-tags)."},
		"NAMES":    {handle: handleNames, minParams: 0, usage: "NAMES [<#channel>[,...]]", help: "List who is in a channel."},
		"LIST":     {handle: handleList, minParams: 0, usage: "LIST [<#channel|mask|!mask|>n|<n|C>m|C<m|T>m|T<m>[,...]]", help: "List channels with member counts and topics; conditions narrow it."},
		"RENAME":   {handle: handleRename, minParams: 2, usage: "RENAME <#channel> <#new-name> [:<reason>]", help: "Rename a channel you are an operator of (IRCv3 draft/channel-rename), at most once a minute: it keeps its members, modes, lists, topic, history and registration. Members without the capability see a PART and a JOIN."},
		"TOPIC":    {handle: handleTopic, minParams: 1, usage: "TOPIC <#channel> [:<topic>]", help: "Show or set a channel's topic."},
		"MODE":     {handle: handleMode, minParams: 1, usage: "MODE <nick|#channel> [<modes> [<args>...]]", help: "Show or change your user modes or a channel's modes."},
		"WHO":      {handle: handleWho, minParams: 0, usage: "WHO <#channel|nick|mask> [o] | WHO <mask> [o]%<fields>[,<token>]", help: "List users in a channel, one user, or users matching a mask (o: operators only)."},
		"WHOIS":    {handle: handleWhois, minParams: 0, usage: "WHOIS [<server>] <nick>", help: "Show who a user is, their channels, away message and idle time."},
		"WHOWAS":   {handle: handleWhowas, minParams: 1, usage: "WHOWAS <nick>[,<nick>...] [<count>]", help: "Show who used a nickname that is gone, newest first."},
		"AWAY":     {handle: handleAway, minParams: 0, preReg: true, usage: "AWAY [:<message>]", help: "Mark yourself away (no message: back)."},
		"ISON":     {handle: handleIson, minParams: 1, usage: "ISON <nick> [<nick>...]", help: "Ask which of these nicks are online."},
		"USERHOST": {handle: handleUserhost, minParams: 1, usage: "USERHOST <nick> [<nick>...]", help: "Show user@host for up to five nicks."},
		"MOTD":     {handle: handleMotd, minParams: 0, usage: "MOTD", help: "Show the message of the day."},
		"LUSERS":   {handle: handleLusers, minParams: 0, usage: "LUSERS", help: "Show how many users and channels there are."},
		"VERSION":  {handle: handleVersion, minParams: 0, usage: "VERSION", help: "Show the server's version."},
		"LINKS":    {handle: handleLinks, minParams: 0, usage: "LINKS [[<server>] <mask>]", help: "List the servers of the network (364, then 365): chatd is one server."},
		"INFO":     {handle: handleInfo, minParams: 0, usage: "INFO", help: "Show information about the server."},
		"TIME":     {handle: handleTime, minParams: 0, usage: "TIME", help: "Show the server's local time."},
		"SETNAME":  {handle: handleSetname, minParams: 1, usage: "SETNAME :<real name>", help: "Change your real name (IRCv3 setname)."},
		"PM":       {handle: handlePM, usage: "PM <nick> <message>", help: "Send one person a private message."},
		"CG":       {handle: handleCG, usage: "CG <group>", help: "Create a group; you become its operator."},
		"JG":       {handle: handleJG, usage: "JG <group> [<key>]", help: "Join a group."},
		"LG":       {handle: handleLG, usage: "LG <group> [<reason>]", help: "Leave a group."},
		"GC":       {handle: handleGC, usage: "GC <group> <message>", help: "Send a message to everyone in a group."},
		"LISTG":    {handle: handleListg, usage: "LISTG", help: "List the groups you are in."},
		"GROUPS":   {handle: handleGroups, usage: "GROUPS", help: "List every group, with its members and topic."},
		"MONITOR":  {handle: handleMonitor, minParams: 1, usage: "MONITOR +|- <nick>[,<nick>...] | MONITOR C|L|S", help: "Be told when nicks come online (730) or leave (731)."},
		"ONLINE":   {handle: handleOnline, usage: "ONLINE", help: "List who is online (invisible users are counted)."},
	}
	addModerationCommands(t)
	addAccountCommands(t)
	addHistoryCommands(t)
	addMarkreadCommand(t)
	addRedactCommand(t)
	t["HELP"] = command{handle: t.handleHelp, minParams: 0, preReg: true, usage: "HELP [<command>]", help: "List every command, or explain one."}
	helpop := t["HELP"]
	helpop.help = "The same as HELP (some clients send HELPOP)."
	helpop.usage = "HELPOP [<command>]"
	t["HELPOP"] = helpop
	return t
}
