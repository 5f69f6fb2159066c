package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleRegister implements IRCv3 draft/account-registration:
// REGISTER <account|*> <email|*> <password>. The account may differ from
// the nick (custom-account-name); no email is sent, so any address (or *)
// is taken as given. REGISTER SUCCESS comes only after the account is
// committed to the store, and then the client is logged in to it.
func handleRegister(w *state.World, c *state.Client, m *irc.Message) error {
	if !accountsOn(w) {
		return numeric(irc.ERR_UNKNOWNCOMMAND, "REGISTER", "Unknown command")
	}
	name, email, password := m.Params[0], m.Params[1], m.Params[2]
	cfg := w.Config.Accounts
	switch {
	case !c.Registered && !cfg.RegistrationBeforeConnect:
		return fail("REGISTER", "COMPLETE_CONNECTION_REQUIRED", "Finish connecting (NICK, USER, CAP END) before you REGISTER")
	case c.Nick == "":
		return fail("REGISTER", "NEED_NICK", "*", "Send NICK before REGISTER")
	}
	if name == "*" {
		name = c.Nick
	}
	shown := oneWord(name)
	switch {
	case c.Account != "":
		return fail("REGISTER", "ALREADY_AUTHENTICATED", oneWord(c.Account), "You are already logged in to "+c.Account)
	case !cfg.Registration && c.Modes&state.UserOper == 0:
		return fail("REGISTER", "TEMPORARILY_UNAVAILABLE", shown, "Registration is closed on this server; ask an operator for an account")
	}
	if why := AccountNameProblem(name, w.Config.Limits.NickLength); why != "" {
		return fail("REGISTER", "BAD_ACCOUNT_NAME", shown, why)
	}
	if w.AccountNameTaken(name) {
		return fail("REGISTER", "ACCOUNT_EXISTS", shown, "Account "+name+" already exists")
	}
	if other := w.ClientByNick(name); other != nil && other != c {
		return fail("REGISTER", "BAD_ACCOUNT_NAME", shown, "Someone is using that nick; an account name is also a reserved nick")
	}
	if email != "*" && (!strings.Contains(email, "@") || strings.ContainsAny(email, " ,") || len(email) > 254) {
		return fail("REGISTER", "INVALID_EMAIL", shown, "That is not an email address (or send * for none)")
	}
	if email == "*" {
		email = ""
	}
	if why := PasswordProblem(name, password); why != "" {
		code := "UNACCEPTABLE_PASSWORD"
		if passwordIsWeak(name, password) {
			code = "WEAK_PASSWORD"
		}
		return fail("REGISTER", code, shown, why)
	}
	createAccount(w, c, name, email, password, func(w *state.World, acct *state.Account, err error) {
		if err != nil {
			sendError(w, c, fail("REGISTER", "TEMPORARILY_UNAVAILABLE", shown, "The account could not be saved; try again later"))
			return
		}
		w.ServerMessage(c, "REGISTER", "SUCCESS", acct.Name, "Account "+acct.Name+" registered; you are logged in")
		completeLogin(w, c, acct, true)
	})
	return nil
}

// createAccount hashes the password off the state goroutine, has the store
// commit the account, and then puts it in memory and calls done (with the
// account, or the error that kept it from being saved). c is held
// throughout, so its later lines wait; done does not run if c left, but
// the account is kept all the same: it was committed.
func createAccount(w *state.World, c *state.Client, name, email, password string, done func(w *state.World, acct *state.Account, err error)) {
	ac := accountsOf(w)
	cost := passwordCost(w)
	w.ReserveAccountName(name)
	w.Hold(c)
	c.Auth.Busy = true
	w.Offload(c, func() []byte { return hashOffloaded(ac, password, cost) }, func(w *state.World, result []byte) {
		hash, scram, err := hashed(result)
		if err != nil {
			w.UnreserveAccountName(name)
			w.Log.Error("hashing a new password", "err", err)
			finishHeld(w, c, func() { done(w, nil, err) })
			return
		}
		acct := state.Account{Name: name, Email: email, PasswordHash: hash, Scram: scram, Created: w.Now()}
		w.Persist(state.CreateAccount{Account: acct}, func(w *state.World, err error) {
			if err != nil {
				w.UnreserveAccountName(name)
				w.Log.Error("account not saved", "account", name, "err", err)
				finishHeld(w, c, func() { done(w, nil, err) })
				return
			}
			w.AddAccount(acct)
			w.Log.Info("account registered", "account", name, "by", c.Nick, "host", c.Host)
			finishHeld(w, c, func() { done(w, w.Account(name), nil) })
		})
	})
}

// finishHeld runs fn as the rest of the line that held c for an account
// operation (its replies carry the line's label) and releases c, unless it
// left meanwhile.
func finishHeld(w *state.World, c *state.Client, fn func()) {
	w.Resume(c, func() {
		c.Auth.Busy = false
		fn()
	})
}
