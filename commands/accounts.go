package commands

// addAccountCommands adds the account commands: REGISTER, AUTHENTICATE
// and the service aliases.
func addAccountCommands(t table) {
	t["REGISTER"] = command{handle: handleRegister, minParams: 3, preReg: true, usage: "REGISTER <account|*> <email|*> <password>", help: "Register an account (IRCv3 account-registration); /msg NickServ HELP explains accounts."}
	t["AUTHENTICATE"] = command{handle: handleAuthenticate, minParams: 1, preReg: true, usage: "AUTHENTICATE <mechanism|data>", help: "Log in with SASL (PLAIN, SCRAM-SHA-256, EXTERNAL); clients do this for you."}
	ns := command{handle: handleServiceAlias(nickServ), minParams: 0, usage: "NS <command> [...]", help: "Talk to NickServ (accounts): NS HELP."}
	t["NS"] = ns
	ns.usage = "NICKSERV <command> [...]"
	t["NICKSERV"] = ns
	cs := command{handle: handleServiceAlias(chanServ), minParams: 0, usage: "CS <command> [...]", help: "Talk to ChanServ (registered groups): CS HELP."}
	t["CS"] = cs
	cs.usage = "CHANSERV <command> [...]"
	t["CHANSERV"] = cs
}
