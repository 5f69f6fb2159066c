package commands

// addModerationCommands adds channel moderation and operator commands
// (KICK, INVITE, OPER, KILL, WALLOPS, REHASH, KLINE, UNKLINE, STATS).
func addModerationCommands(t table) {
	t["KICK"] = command{handle: handleKick, minParams: 2, usage: "KICK <#channel> <nick>[,<nick>...] [:<reason>]", help: "Remove users from a channel (channel operators)."}
	t["INVITE"] = command{handle: handleInvite, minParams: 0, usage: "INVITE [<nick> <#channel>]", help: "Invite a user into a channel: lets them past +i once, within an hour, unless they quit or change nick first. Alone: list your invites."}
	t["OPER"] = command{handle: handleOper, minParams: 2, usage: "OPER <name> <password>", help: "Become an IRC operator."}
	t["KILL"] = command{handle: handleKill, minParams: 2, usage: "KILL <nick> <reason>", help: "Operators: disconnect a user."}
	t["WALLOPS"] = command{handle: handleWallops, minParams: 1, usage: "WALLOPS :<text>", help: "Operators: message every user with user mode +w."}
	t["KLINE"] = command{handle: handleKline, minParams: 1, usage: "KLINE [<duration>] <nick!user@host> [:<reason>]", help: "Operators: ban a mask from the server (duration 30m, 1h, 1d; none = permanent)."}
	t["UNKLINE"] = command{handle: handleUnkline, minParams: 1, usage: "UNKLINE <nick!user@host>", help: "Operators: lift a K-line."}
	t["STATS"] = command{handle: handleStats, minParams: 1, usage: "STATS k", help: "Operators: list the K-lines."}
	t["REHASH"] = command{handle: handleRehash, minParams: 0, usage: "REHASH", help: "Operators: re-read the config file."}
}
