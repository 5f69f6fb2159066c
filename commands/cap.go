package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleCap implements IRCv3 capability negotiation (CAP LS/LIST/REQ/END).
// A client that starts negotiating before registration is held until END.
func handleCap(w *state.World, c *state.Client, m *irc.Message) error {
	sub := strings.ToUpper(m.Params[0])
	switch sub {
	case "LS":
		if !c.Registered {
			w.HoldForCaps(c, true)
		}
		version := 301
		if v, err := strconv.Atoi(m.Param(1)); err == nil && v > version {
			version = v
		}
		if version >= 302 {
			w.SetCapVersion(c, 302)
			w.SetCaps(c, c.Caps.With(state.CapCapNotify, true))
		} else if c.CapVersion == 0 {
			w.SetCapVersion(c, 301)
		}
		capList(w, c, "LS", offeredCaps(w, c.CapVersion >= 302))
	case "LIST":
		capReply(w, c, "LIST", strings.Join(c.Caps.Names(), " "))
	case "REQ":
		if !c.Registered {
			w.HoldForCaps(c, true)
		}
		requested := strings.TrimSpace(m.Param(1))
		caps, ok := parseCapRequest(c.Caps, requested, c.CapVersion >= 302)
		if ok && !accountsOn(w) && (caps.Has(state.CapSASL) || caps.Has(state.CapAccountRegistration)) {
			ok = false // not offered: sasl-3.2 says to NAK it
		}
		if ok && !w.Config.History.Enabled && (caps.Has(state.CapChatHistory) || caps.Has(state.CapEventPlayback) || caps.Has(state.CapReadMarker)) {
			ok = false // not offered without history
		}
		if ok && !multilineOn(w) && caps.Has(state.CapMultiline) {
			ok = false // not offered with [multiline] max_bytes = 0
		}
		if !ok {
			capAnswer(w, c, "NAK", requested)
			return nil
		}
		w.SetCaps(c, caps)
		capAnswer(w, c, "ACK", requested)
	case "END":
		if c.Registered {
			return nil
		}
		w.HoldForCaps(c, false)
		return tryRegister(w, c)
	default:
		return numeric(state.ErrInvalidCapCmd, sendableParam(m.Params[0]), "Invalid CAP command")
	}
	return nil
}

// parseCapRequest applies a REQ list ("a -b c") to have. It is all or
// nothing: one unknown name refuses the whole request, and have comes back
// unchanged. A client that sent
// CAP LS 302 has cap-notify for good ("servers MUST NOT disable the
// cap-notify capability if the client requests CAP LS with a version of 302
// or newer"), so lockNotify refuses a request that would remove it.
func parseCapRequest(have state.CapSet, req string, lockNotify bool) (state.CapSet, bool) {
	names := strings.Fields(req)
	if len(names) == 0 {
		return have, false
	}
	next := have
	for _, name := range names {
		on := true
		if strings.HasPrefix(name, "-") {
			on, name = false, name[1:]
		}
		cp, ok := state.CapByName(name)
		if !ok || (!on && lockNotify && cp == state.CapCapNotify) {
			return have, false
		}
		next = next.With(cp, on)
	}
	return next, true
}

// offeredCaps lists the capabilities offered, with values for CAP 302
// clients: sasl's mechanisms and account-registration's keys. Without
// accounts, neither sasl nor account-registration is offered.
func offeredCaps(w *state.World, values bool) []string {
	var out []string
	for _, name := range state.CapNames() {
		switch name {
		case "sasl", "draft/account-registration":
			if !accountsOn(w) {
				continue
			}
		case "draft/chathistory", "draft/event-playback", "draft/read-marker":
			if !w.Config.History.Enabled {
				continue
			}
		case "draft/multiline":
			if !multilineOn(w) {
				continue
			}
		}
		if values {
			switch name {
			case "sasl":
				name += "=" + saslMechanisms
			case "draft/multiline":
				name += "=" + multilineCapValue(w)
			case "draft/account-registration":
				name += "=custom-account-name"
				if w.Config.Accounts.RegistrationBeforeConnect {
					name += ",before-connect"
				}
			}
		}
		out = append(out, name)
	}
	return out
}

// capList sends a CAP LS reply, in several lines when it would not fit in
// one: every line but the last has "*" before the list (CAP 302
// continuation).
func capList(w *state.World, c *state.Client, sub string, caps []string) {
	// ":server CAP nick LS * :" plus CRLF, with room to spare.
	budget := state.MaxLineBytes - len(w.Config.Server.Name) - len(c.DisplayNick()) - len(sub) - 20
	var line []string
	size := 0
	for _, name := range caps {
		if size+len(name)+1 > budget && len(line) > 0 && c.CapVersion >= 302 {
			w.ServerMessage(c, "CAP", c.DisplayNick(), sub, "*", strings.Join(line, " "))
			line, size = nil, 0
		}
		line = append(line, name)
		size += len(name) + 1
	}
	capReply(w, c, sub, strings.Join(line, " "))
}

func capReply(w *state.World, c *state.Client, sub, list string) {
	w.ServerMessage(c, "CAP", c.DisplayNick(), sub, list)
}

// capAnswer sends ACK or NAK with the list a REQ asked for. The REQ may
// fill its line, and the answer puts the server name and nick in front,
// so a list too long for one line (a NAK of many unknown names) goes on
// over further lines, split between names rather than cut inside one.
// A NAK gives the list back as it was sent, repeats and order kept:
// capability-negotiation says its argument "MUST consist of at least the
// first 100 characters of the capability list in the REQ", so a client can
// match it to its request. An ACK drops repeats (they enable nothing more),
// and an ACK of distinct names chatd offers always fits one line.
func capAnswer(w *state.World, c *state.Client, sub, requested string) {
	seen := map[string]bool{}
	var names []string
	for _, name := range strings.Fields(requested) {
		if sub == "ACK" && seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	// ":server CAP nick SUB :" and CRLF around the list.
	budget := state.MaxLineBytes - (len(w.Config.Server.Name) + len(c.DisplayNick()) + len(sub) + 10)
	for _, line := range packItems(names, budget, " ") {
		capReply(w, c, sub, line)
	}
}
