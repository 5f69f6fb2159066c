package state

import (
	"strings"

	"gopkg.in/irc.v4"
)

// loggableLine is a client's line as -debug logs it, with secrets left
// out: the parameters of PASS, OPER, AUTHENTICATE and REGISTER, and
// messages to NickServ (IDENTIFY, REGISTER and SET PASSWORD carry
// passwords), so that a debug log holds no password.
func loggableLine(m *irc.Message) string {
	secret := false
	switch m.Command {
	case "PASS", "OPER", "AUTHENTICATE", "REGISTER", "NS", "NICKSERV":
		secret = true
	case "PRIVMSG", "NOTICE":
		secret = strings.EqualFold(m.Param(0), "NickServ")
	}
	if !secret || len(m.Params) == 0 {
		return m.String()
	}
	return m.Command + " [redacted]"
}
