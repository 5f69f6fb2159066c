package commands

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"chatd/state"

	"golang.org/x/crypto/bcrypt"
)

// Numerics of SASL and logins (IRCv3 sasl-3.1), which gopkg.in/irc.v4
// lacks.
const (
	rplLoggedIn    = "900"
	rplLoggedOut   = "901"
	errNickLocked  = "902"
	rplSASLSuccess = "903"
	errSASLFail    = "904"
	errSASLTooLong = "905"
	errSASLAborted = "906"
	errSASLAlready = "907"
	rplSASLMechs   = "908"
	rplWhoisAcct   = "330"
)

// accountsCtl holds what the account commands share: the bound on
// concurrent hash computations, the dummy hashes, and the failed-login
// throttles. One belongs to each command table.
type accountsCtl struct {
	slots     hashSlots
	dummies   dummyHashes
	secret    []byte // for fakeScram
	byAccount *failureLimiter
	byIP      *failureLimiter
}

// accountsOf returns the world's accountsCtl, made on first use.
func accountsOf(w *state.World) *accountsCtl {
	ac, ok := w.Services.(*accountsCtl)
	if !ok {
		ac = newAccountsCtl()
		w.Services = ac
	}
	return ac
}

func newAccountsCtl() *accountsCtl {
	secret := make([]byte, 32)
	rand.Read(secret)
	return &accountsCtl{
		slots:     make(hashSlots, 4),
		secret:    secret,
		byAccount: newFailureLimiter(accountFailBurst, accountFailEvery),
		byIP:      newFailureLimiter(ipFailBurst, ipFailEvery),
	}
}

// passwordCost is the bcrypt cost new account passwords get.
func passwordCost(w *state.World) int {
	if w.PasswordCost > 0 {
		return w.PasswordCost
	}
	return DefaultPasswordCost
}

// throttled says why c may not try to log in to name now ("" if it may).
func (ac *accountsCtl) throttled(w *state.World, c *state.Client, name string) string {
	now := w.Now()
	wait := max(ac.byAccount.wait(state.Fold(name), now), ac.byIP.wait(c.Addr.String(), now))
	if wait == 0 {
		return ""
	}
	secs := int((wait + time.Second - 1) / time.Second)
	w.Log.Warn("login throttled", "id", c.ID, "host", c.Host, "account", name, "wait_s", secs)
	return fmt.Sprintf("Too many failed logins; try again in %d seconds", secs)
}

// failed records a failed login by c to name.
func (ac *accountsCtl) failed(w *state.World, c *state.Client, name, how string) {
	now := w.Now()
	ac.byAccount.fail(state.Fold(name), now)
	ac.byIP.fail(c.Addr.String(), now)
	w.Log.Warn("failed login", "id", c.ID, "nick", c.Nick, "host", c.Host, "account", name, "via", how)
}

// checkPassword checks a password for the account name off the state
// goroutine, holding c meanwhile (its later lines wait, in order). then
// runs on the state goroutine with the account, or nil and the reason to
// give; it does not run if c leaves first. An unknown account is checked
// against a dummy hash of the same cost, so the answer takes as long as
// for a wrong password and says the same.
func (ac *accountsCtl) checkPassword(w *state.World, c *state.Client, name, password, how string, then func(w *state.World, acct *state.Account, why string)) {
	if why := ac.throttled(w, c, name); why != "" {
		then(w, nil, why)
		return
	}
	var hash []byte
	if acct := w.Account(name); acct != nil {
		hash = []byte(acct.PasswordHash)
	}
	cost := passwordCost(w)
	w.Hold(c)
	c.Auth.Busy = true
	go func() {
		match := false
		ac.slots.run(func() {
			dummy := ac.dummies.get(cost)
			if hash == nil {
				hash = dummy
			}
			match = bcrypt.CompareHashAndPassword(hash, bcryptInput(password)) == nil
		})
		w.Post(func(w *state.World) {
			w.Resume(c, func() {
				c.Auth.Busy = false
				acct := w.Account(name) // it may have been deleted meanwhile
				if match && acct != nil && acct.PasswordHash == string(hash) {
					then(w, acct, "")
				} else {
					ac.failed(w, c, name, how)
					then(w, nil, "Invalid account name or password")
				}
			})
		})
	}()
}

// completeLogin logs c in to acct and tells it (900). viaSASL is set for
// SASL and PASS logins, which satisfy strict nick reservation.
func completeLogin(w *state.World, c *state.Client, acct *state.Account, viaSASL bool) {
	if c.Account != "" && state.Fold(c.Account) != state.Fold(acct.Name) {
		w.Logout(c) // a re-authentication to another account
	}
	w.Login(c, acct.Name)
	c.Auth.ViaSASL = c.Auth.ViaSASL || viaSASL
	w.Log.Info("login", "id", c.ID, "nick", c.Nick, "host", c.Host, "account", acct.Name)
	w.Numeric(c, rplLoggedIn, state.LoginMask(c), acct.Name, "You are now logged in as "+acct.Name)
	if c.Registered {
		nickIdentified(w, c)
		grantAccountOper(w, c)
	}
}

// logout logs c out, telling it (901).
func logout(w *state.World, c *state.Client) {
	if c.Account == "" {
		return
	}
	w.Log.Info("logout", "id", c.ID, "nick", c.Nick, "account", c.Account)
	w.Logout(c) // 901
	if c.Registered {
		checkNickReservation(w, c)
	}
}

// grantAccountOper makes a registered client an operator when an [[oper]]
// entry names its account.
func grantAccountOper(w *state.World, c *state.Client) {
	if c.Account == "" || c.Modes&state.UserOper != 0 {
		return
	}
	for _, o := range w.Config.Opers {
		if o.Account != "" && state.Fold(o.Account) == state.Fold(c.Account) {
			operResult(w, c, o.Name, true)
			return
		}
	}
}

// isServiceNick reports whether nick is one of the built-in services.
func isServiceNick(nick string) bool {
	f := state.Fold(nick)
	return f == "nickserv" || f == "chanserv"
}

// accountsOn reports whether accounts are enabled.
func accountsOn(w *state.World) bool { return w.Config.Accounts.Enabled }

// oneWord makes s safe as a middle parameter.
func oneWord(s string) string {
	if s == "" || strings.ContainsAny(s, " \r\n\x00") || s[0] == ':' {
		return "*"
	}
	return s
}
