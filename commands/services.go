package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// The built-in services: NickServ and ChanServ are pseudo-users inside
// chatd (no services daemon to run). A PRIVMSG to either, or the NS, CS,
// NICKSERV and CHANSERV commands, reach their handlers here; they answer
// with NOTICE, as every client expects of services.

const (
	nickServ = "NickServ"
	chanServ = "ChanServ"
)

// servicePrefix is the source of a service's notices.
func servicePrefix(w *state.World, name string) *irc.Prefix {
	return &irc.Prefix{Name: name, User: name, Host: w.Config.Server.Name}
}

// servNotice sends c a NOTICE from a service.
func servNotice(w *state.World, c *state.Client, service, text string) {
	w.SendMessage(c, &irc.Message{Prefix: servicePrefix(w, service), Command: "NOTICE", Params: []string{c.DisplayNick(), text}})
}

// serviceFor returns the canonical service name target names, "" if none.
func serviceFor(target string) string {
	switch state.Fold(target) {
	case "nickserv":
		return nickServ
	case "chanserv":
		return chanServ
	}
	return ""
}

// parseServiceCommand splits a message to a service into its verb (upper
// case) and arguments; an empty message is the verb HELP.
func parseServiceCommand(text string) (string, []string) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "HELP", nil
	}
	return strings.ToUpper(fields[0]), fields[1:]
}

// toService handles a message addressed to a service.
func toService(w *state.World, c *state.Client, service, text string) {
	if !accountsOn(w) {
		servNotice(w, c, service, "Accounts are not enabled on this server.")
		return
	}
	verb, args := parseServiceCommand(text)
	switch service {
	case nickServ:
		nickServCommand(w, c, verb, args)
	case chanServ:
		chanServCommand(w, c, verb, args)
	}
}

// handleServiceAlias serves NS/NICKSERV and CS/CHANSERV: the rest of the
// line is the message to the service.
func handleServiceAlias(service string) handlerFunc {
	return func(w *state.World, c *state.Client, m *irc.Message) error {
		toService(w, c, service, strings.Join(m.Params, " "))
		return nil
	}
}

// serviceWhois answers WHOIS for a service.
func serviceWhois(w *state.World, c *state.Client, service string) {
	w.Numeric(c, irc.RPL_WHOISUSER, service, service, w.Config.Server.Name, "*", service+" (built-in service)")
	w.Numeric(c, irc.RPL_WHOISSERVER, service, w.Config.Server.Name, w.Config.Server.Network+" server")
	w.Numeric(c, irc.RPL_ENDOFWHOIS, service, "End of /WHOIS list")
}
