package conf

import (
	"net"
	"strings"
)

// defaultMOTD is the message of the day of a config that sets none. It is
// the first thing a newcomer reads, so it says how to get help (a
// client's own /help is not the server's HELP), and names the lobby and
// the web page as this config has them: a config that moved the page to
// another port, or has none, or another lobby, or none, is not described
// by a fixed text (the MOTD pointed irssi, HexChat and WeeChat users at
// http://127.0.0.1:8080/ whatever [http] listen said). Load calls it
// again after reading the file when the file has no motd.
func defaultMOTD(c *Config) string {
	lines := []string{"Welcome to the chat :)"}
	if c.Server.Lobby != "" {
		lines = append(lines, "Everyone starts in "+c.Server.Lobby+": what you say there, everyone reads.")
	}
	lines = append(lines,
		"Help on this server's commands: /quote HELP",
		"  (/help alone shows your client's own help, not the server's)",
		"The course commands /pm /cg /jg /lg /gc /listg /groups /online work as",
		"typed in HexChat; irssi and WeeChat need the chatd script (see the README).")
	if page := webPage(c.HTTP); page != "" {
		lines = append(lines, "No IRC client? Chat in a browser: "+page)
	}
	return strings.Join(lines, "\n")
}

// webPage is the chat page's address as a newcomer would type it, from
// the first [http] listener (plain before TLS), or "" when there is none.
// A listener on every interface has no one address, so the host is left
// for the reader to fill in.
func webPage(h HTTP) string {
	scheme, addrs := "http", h.Listen
	if len(addrs) == 0 {
		scheme, addrs = "https", h.TLS
	}
	if len(addrs) == 0 {
		return ""
	}
	host, port, err := net.SplitHostPort(addrs[0])
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return scheme + "://<this server's address>:" + port + "/"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}
