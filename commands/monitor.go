package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// maxMonitor is the longest MONITOR list a client may keep (MONITOR= in
// RPL_ISUPPORT). It bounds both the memory a client can make the server
// keep and the work of MONITOR L and S.
const maxMonitor = 100

// handleMonitor implements IRCv3 MONITOR:
//
//	MONITOR + nick[,nick...]   watch these nicks: 730 for those online, 731 for the others
//	MONITOR - nick[,nick...]   stop watching them (no reply)
//	MONITOR C                  clear the list (no reply)
//	MONITOR L                  the list (732 ... 733)
//	MONITOR S                  730/731 for everyone on the list
//
// A target must be a valid nickname (no masks: the spec's privacy rule);
// anything else is ignored. Past maxMonitor, the targets that did not fit
// are named in 734 as the client sent them. Once watched, a nick's
// comings and goings are sent by the state (state/monitor.go).
func handleMonitor(w *state.World, c *state.Client, m *irc.Message) error {
	op := m.Params[0]
	switch strings.ToUpper(op) {
	case "+":
		if m.Param(1) == "" {
			return numeric(irc.ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters")
		}
		monitorAdd(w, c, splitList(m.Params[1]))
	case "-":
		if m.Param(1) == "" {
			return numeric(irc.ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters")
		}
		for _, nick := range splitList(m.Params[1]) {
			w.Unmonitor(c, nick)
		}
	case "C":
		w.ClearMonitor(c)
	case "L":
		if c.MonitorCount() > 0 {
			sendListReplyWith(w, c, state.RplMonList, c.Monitored(), ",")
		}
		w.Numeric(c, state.RplEndOfMonList, "End of MONITOR list")
	case "S":
		monitorStatus(w, c, c.Monitored())
	default:
		return fail("MONITOR", "INVALID_PARAMS", op, "Unknown MONITOR modifier: use +, -, C, L or S")
	}
	return nil
}

// monitorAdd adds nicks to c's list and reports the status of each; those past the limit are refused with 734.
func monitorAdd(w *state.World, c *state.Client, nicks []string) {
	var added, refused []string
	for _, nick := range nicks {
		if !validNick(nick, w.Config.Limits.NickLength) {
			continue
		}
		if !c.Monitors(nick) && c.MonitorCount() >= maxMonitor {
			refused = append(refused, nick)
			continue
		}
		// One already on the list is reported too: it is among "the
		// targets being added" whose status the spec says is sent.
		w.Monitor(c, nick)
		added = append(added, nick)
	}
	monitorStatus(w, c, added)
	if len(refused) > 0 {
		w.Numeric(c, state.ErrMonListFull, strconv.Itoa(maxMonitor), strings.Join(refused, ","), "Monitor list is full")
	}
}

// monitorStatus sends 730 (nick!user@host) for the nicks that are online
// and 731 for the others, each list split to fit a line.
func monitorStatus(w *state.World, c *state.Client, nicks []string) {
	var online, offline []string
	for _, nick := range nicks {
		if u := w.ClientByNick(nick); u != nil {
			online = append(online, u.Nick+"!"+u.User+"@"+u.Host)
		} else {
			offline = append(offline, nick)
		}
	}
	if len(online) > 0 {
		sendListReplyWith(w, c, state.RplMonOnline, online, ",")
	}
	if len(offline) > 0 {
		sendListReplyWith(w, c, state.RplMonOffline, offline, ",")
	}
}
