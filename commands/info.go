package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// MOTD, VERSION, TIME and INFO take an optional <target>: a server name
// (wildcards allowed) or, for VERSION and INFO, a nick whose server is
// meant. chatd is a single server, so any target that names neither it nor
// one of its users is ERR_NOSUCHSERVER (modern.ircdocs.horse: "If <target>
// is given and a matching server cannot be found, the server will respond
// with the ERR_NOSUCHSERVER numeric and the command will fail").

func handleMotd(w *state.World, c *state.Client, m *irc.Message) error {
	if err := checkServerTarget(w, m.Param(0), false); err != nil {
		return err
	}
	sendMOTD(w, c)
	return nil
}

// handleLusers ignores its parameters: modern.ircdocs.horse gives LUSERS
// none, and RFC 2812's <mask> and <target> only matter on a network.
func handleLusers(w *state.World, c *state.Client, m *irc.Message) error {
	sendLusers(w, c)
	return nil
}

func handleVersion(w *state.World, c *state.Client, m *irc.Message) error {
	if err := checkServerTarget(w, m.Param(0), true); err != nil {
		return err
	}
	w.Numeric(c, irc.RPL_VERSION, Version, w.Config.Server.Name, "chatd IRC server")
	sendISupport(w, c)
	return nil
}

func handleTime(w *state.World, c *state.Client, m *irc.Message) error {
	if err := checkServerTarget(w, m.Param(0), false); err != nil {
		return err
	}
	w.Numeric(c, irc.RPL_TIME, w.Config.Server.Name, w.Now().Format("Monday January 2 2006 -- 15:04:05 -07:00"))
	return nil
}

// handleInfo answers INFO with RPL_INFO lines and RPL_ENDOFINFO.
func handleInfo(w *state.World, c *state.Client, m *irc.Message) error {
	if err := checkServerTarget(w, m.Param(0), true); err != nil {
		return err
	}
	for _, line := range []string{
		Version + " - an IRC server written in Go",
		"Network: " + w.Config.Server.Network + ", server: " + w.Config.Server.Name,
		"Running since " + w.Started.UTC().Format("Mon Jan 2 2006 at 15:04:05 UTC"),
	} {
		w.Numeric(c, irc.RPL_INFO, line)
	}
	w.Numeric(c, irc.RPL_ENDOFINFO, "End of INFO list")
	return nil
}

// handleLinks answers LINKS [[<remote server>] <server mask>]: a single
// chatd is one server, so the list is itself (364 <server> <server> :0
// <info>, hop count 0); each node of a cluster is a server, the asker's
// own at hop count 0 and every other one linked to it at 1. Those whose
// name matches the mask are listed, then always 365 with the mask ("*"
// when none was given). A remote server that is not one of them is 402.
func handleLinks(w *state.World, c *state.Client, m *irc.Message) error {
	mask := "*"
	if n := len(m.Params); n > 0 && m.Params[n-1] != "" {
		mask = m.Params[n-1]
	}
	if len(m.Params) > 1 {
		if err := checkServerTarget(w, m.Params[0], false); err != nil {
			return err
		}
	}
	here := w.ServerOf(c)
	for _, name := range serverNames(w, c) {
		if !wildcardMatch(strings.ToLower(mask), strings.ToLower(name)) {
			continue
		}
		hops := "1 "
		if name == here {
			hops = "0 "
		}
		w.Numeric(c, rplLinks, name, here, hops+serverInfo(w, c.Node))
	}
	w.Numeric(c, rplEndOfLinks, mask, "End of /LINKS list")
	return nil
}

// serverNames lists the servers of the network: this one, or the nodes
// of a cluster, c's own first.
func serverNames(w *state.World, c *state.Client) []string {
	nodes := w.Nodes()
	if len(nodes) == 0 {
		return []string{w.Config.Server.Name}
	}
	names := []string{w.ServerOf(c)}
	for _, n := range nodes {
		if n.Name != names[0] {
			names = append(names, n.Name)
		}
	}
	return names
}

// serverInfo is the description of a server (of node, "" for this
// single server).
func serverInfo(w *state.World, node string) string {
	if n, ok := w.NodeInfo(node); ok && n.Info != "" {
		return n.Info
	}
	return w.Config.Server.Network + " server"
}

// RPL_LINKS and RPL_ENDOFLINKS.
const (
	rplLinks      = "364"
	rplEndOfLinks = "365"
)

// checkServerTarget accepts an empty target, a mask matching this server's
// name (case-insensitively) and, when nickOK, a connected user's nick.
func checkServerTarget(w *state.World, target string, nickOK bool) error {
	if target == "" || wildcardMatch(strings.ToLower(target), strings.ToLower(w.Config.Server.Name)) {
		return nil
	}
	for _, n := range w.Nodes() {
		if wildcardMatch(strings.ToLower(target), strings.ToLower(n.Name)) {
			return nil
		}
	}
	if nickOK && w.ClientByNick(target) != nil {
		return nil
	}
	if target[0] == ':' || strings.IndexByte(target, ' ') >= 0 {
		target = "*" // not sendable as a middle parameter
	}
	return numeric(irc.ERR_NOSUCHSERVER, target, "No such server")
}
