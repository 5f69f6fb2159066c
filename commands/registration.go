package commands

import (
	"crypto/subtle"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

func handlePass(w *state.World, c *state.Client, m *irc.Message) error {
	if c.Registered {
		return numeric(irc.ERR_ALREADYREGISTERED, "You may not reregister")
	}
	if m.Params[0] == "" {
		return numeric(irc.ERR_NEEDMOREPARAMS, "PASS", "Not enough parameters")
	}
	// Only the last PASS before registration counts (modern.ircdocs.horse).
	want := w.Config.Server.Password
	w.SetPassOK(c, want == "" || subtle.ConstantTimeCompare([]byte(m.Params[0]), []byte(want)) == 1)
	c.Auth.Pass = ""
	if want == "" && accountsOn(w) && strings.Contains(m.Params[0], ":") {
		// PASS account:password logs in at registration (HexChat's
		// "server password" login, nc bots).
		c.Auth.Pass = m.Params[0]
	}
	return nil
}

func handleUser(w *state.World, c *state.Client, m *irc.Message) error {
	if c.Registered || c.User != "" {
		return numeric(irc.ERR_ALREADYREGISTERED, "You may not reregister")
	}
	if m.Params[0] == "" || m.Params[3] == "" {
		return numeric(irc.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
	}
	user := cleanUser(m.Params[0])
	if user == "" {
		// Nothing was left of the username (all emoji, say): the client
		// is not kept from registering for it, it gets a plain one.
		user = fallbackUser
	}
	w.SetUserInfo(c, user, truncateUTF8(m.Params[3], realnameLen))
	return tryRegister(w, c)
}

// fallbackUser is the username of a client whose USER username had no
// character a username may hold (cleanUser).
const fallbackUser = "user"

// realnameLen caps the realname (gecos) so replies carrying it fit a line.
const realnameLen = 150

// handleNick sets or changes the nick. A missing or empty parameter is
// ERR_NONICKNAMEGIVEN (modern.ircdocs.horse: "If the server does not receive
// the <nickname> parameter with the NICK command, it should issue an
// ERR_NONICKNAMEGIVEN numeric").
func handleNick(w *state.World, c *state.Client, m *irc.Message) error {
	nick := m.Param(0)
	if nick == "" {
		return numeric(irc.ERR_NONICKNAMEGIVEN, "No nickname given")
	}
	if !validNick(nick, w.Config.Limits.NickLength) {
		reason := invisibleReason("Erroneous nickname", nick)
		if reason == "" {
			reason = nickProblem(nick, w.Config.Limits.NickLength)
		}
		return numeric(irc.ERR_ERRONEUSNICKNAME, sendableParam(nick), reason)
	}
	if isServiceNick(nick) {
		return numeric(irc.ERR_ERRONEUSNICKNAME, nick, "Reserved for a service")
	}
	camper := w.NickHolder(nick) // taken from it once every check passed
	if camper == c {
		camper = nil
	}
	if camper != nil && camper.Registered {
		return numeric(irc.ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
	}
	if !c.Registered {
		overruleNick(w, camper)
		w.SetNick(c, nick)
		return tryRegister(w, c)
	}
	if nick == c.Nick {
		return nil
	}
	if ch := bannedIn(w, c); ch != nil && state.Fold(nick) != state.Fold(c.Nick) {
		return numeric(errBanNickChange, nick, ch.Name, "Cannot change nickname while banned on channel")
	}
	if strictReservation(w) && reservedBy(w, c, nick) != nil {
		return errNickReserved(nick)
	}
	overruleNick(w, camper)
	w.ChangeNick(c, nick)
	checkNickReservation(w, c)
	return nil
}

// errBanNickChange is ERR_BANNICKCHANGE as charybdis-family servers send
// it, "<client> <new nick> <channel> :Cannot change nickname while banned
// on channel"; modern.ircdocs.horse has no numeric for it (ircu uses 437).
const errBanNickChange = "435"

// bannedIn returns the first channel (by name) where a ban stops c from
// speaking: one that matches it while it has neither @ nor +v there (nor
// an IRC operator's rights in the lobby). A new
// nick would no longer match a nick!*@* ban, so while there is one c may
// not change nick, or it could speak again by renaming itself. nil when
// there is none.
func bannedIn(w *state.World, c *state.Client) *state.Channel {
	for _, ch := range sortedChannelsOf(c) {
		if !chanVoiced(w, c, ch) && (isBanned(ch, c) || isMuted(ch, c)) {
			return ch
		}
	}
	return nil
}

// overruleNick gives way to a client that wants the nick of u, a
// connection that has not completed registration: a nick is only held
// once registration completes, so one that never does (or stalls in CAP
// negotiation) cannot keep a nick from anyone until it times out. u is
// told 433 for the nick and must send NICK again before it can register,
// as InspIRCd does (Ergo does not reserve nicks before registration at
// all, to the same effect).
func overruleNick(w *state.World, u *state.Client) {
	if u == nil {
		return
	}
	nick := u.Nick
	w.OverruleNick(u)
	w.Numeric(u, irc.ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
}

// tryRegister completes registration once NICK and USER are in and any CAP
// negotiation has ended.
func tryRegister(w *state.World, c *state.Client) error {
	if c.Registered || c.Nick == "" || c.User == "" || c.CapHeld || c.Auth.Busy {
		return nil
	}
	if w.Config.Server.Password != "" && !c.PassOK {
		w.Numeric(c, irc.ERR_PASSWDMISMATCH, "Password incorrect")
		w.Quit(c, "Bad password")
		return nil
	}
	if c.Auth.SASL != nil {
		// Registration ends a SASL exchange still going (sasl-3.1).
		c.Auth.SASL = nil
		w.Numeric(c, errSASLAborted, "SASL authentication aborted")
	}
	if c.Auth.Pass != "" {
		passLogin(w, c)
		return nil
	}
	if klined(w, c) { // K-lines: commands/kline.go
		return nil
	}
	if w.Config.Accounts.Required && c.Account == "" {
		w.ServerMessage(c, "FAIL", "*", "ACCOUNT_REQUIRED", "You must log in to an account to use this server (SASL, or PASS account:password)")
		w.Quit(c, "Account required")
		return nil
	}
	if strictReservation(w) && reservedBy(w, c, c.Nick) != nil {
		sendError(w, c, errNickReserved(c.Nick))
		w.ClearNick(c)
		return nil
	}
	w.Register(c)
	w.Log.Info("registered", "id", c.ID, "nick", c.Nick, "user", c.User, "host", c.Host, "account", c.Account)
	sendWelcome(w, c)
	grantAccountOper(w, c)
	checkNickReservation(w, c)
	if lobby := w.Config.Server.Lobby; lobby != "" {
		sendError(w, c, joinOne(w, c, lobby, ""))
	}
	deliverOffline(w, c)
	return nil
}

// passLogin checks a PASS account:password before registration goes on:
// a wrong one is reported (NOTICE) and the client registers without an
// account (or is refused, when accounts are required).
func passLogin(w *state.World, c *state.Client) {
	name, password, _ := strings.Cut(c.Auth.Pass, ":")
	c.Auth.Pass = ""
	accountsOf(w).checkPassword(w, c, name, password, "PASS", func(w *state.World, acct *state.Account, why string) {
		if acct != nil {
			completeLogin(w, c, acct, true)
		} else {
			if c.Caps.Has(state.CapStandardReplies) {
				w.ServerMessage(c, "FAIL", "PASS", "ACCOUNT_LOGIN_FAILED", "PASS login failed: "+why)
			} else {
				w.ServerMessage(c, "NOTICE", c.DisplayNick(), "PASS login failed: "+why)
			}
		}
		sendError(w, c, tryRegister(w, c))
	})
}

// sendableParam returns s if it can be echoed back as a middle parameter,
// else "*": a nick or subcommand that holds a space or starts with ':' (sent
// as a trailing parameter) would otherwise make the whole reply unsendable.
func sendableParam(s string) string {
	if s == "" || s[0] == ':' || strings.IndexByte(s, ' ') >= 0 {
		return "*"
	}
	return s
}

// prefixOf is the client's nick!user@host as a message source.
func prefixOf(c *state.Client) *irc.Prefix {
	return &irc.Prefix{Name: c.Nick, User: c.User, Host: c.Host}
}
