package commands

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"chatd/passcheck"
	"chatd/state"
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

// accountsCtl holds what the password and account commands share: the
// server-wide bound on password hashing and its dummy hashes, the
// throttles of failed logins and OPER attempts. One belongs to each world.
type accountsCtl struct {
	hashes *passcheck.Checker
	logins *passcheck.Throttle // per account name and per address
	oper   *passcheck.Throttle // per address
	secret []byte              // for fakeScram
}

// accountsOf returns the world's accountsCtl, made on first use.
func accountsOf(w *state.World) *accountsCtl {
	ac, ok := w.Services.(*accountsCtl)
	if !ok {
		ac = newAccountsCtl(w.PasswordFailDelay)
		if data := w.RestoredServices(); data != nil {
			if err := ac.loadState(data); err != nil {
				w.Log.Error("restoring login throttles from a snapshot", "err", err)
			}
		}
		w.Services = ac
	}
	return ac
}

// accountsState is the part of accountsCtl that is world state, as a
// snapshot keeps it: the throttles decide who may try a password, so
// every node must hold the same. The hashing bound and the secret of
// fakeScram are the node's own.
type accountsState struct {
	Logins passcheck.ThrottleState `json:"logins"`
	Oper   passcheck.ThrottleState `json:"oper"`
}

// SaveState implements state.ServiceState.
func (ac *accountsCtl) SaveState() ([]byte, error) {
	return json.Marshal(accountsState{Logins: ac.logins.State(), Oper: ac.oper.State()})
}

func (ac *accountsCtl) loadState(data []byte) error {
	var s accountsState
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("accounts state: %w", err)
	}
	ac.logins.SetState(s.Logins)
	ac.oper.SetState(s.Oper)
	return nil
}

func newAccountsCtl(failDelay time.Duration) *accountsCtl {
	secret := make([]byte, 32)
	rand.Read(secret)
	if failDelay <= 0 {
		failDelay = defaultFailDelay
	}
	return &accountsCtl{
		hashes: passcheck.New(0),
		logins: passcheck.NewThrottle(passcheck.Policy{
			KeyBurst: accountFailBurst, KeyEvery: accountFailEvery,
			IPBurst: ipFailBurst, IPEvery: ipFailEvery,
			Delay: failDelay, MaxDelay: maxFailDelayFactor * failDelay,
		}),
		oper: passcheck.NewThrottle(passcheck.Policy{
			IPBurst: operFailBurst, IPEvery: operFailEvery,
			Delay: failDelay, MaxDelay: maxFailDelayFactor * failDelay,
		}),
		secret: secret,
	}
}

// Failed logins are throttled per account and per IP address, each with a
// budget of failures that refills slowly: a guesser gets a few tries, then
// one per interval, while a user who mistypes once or twice notices
// nothing. A throttled attempt is refused without checking the password,
// so it costs no hashing either. OPER is throttled per address only (a
// budget per oper name would let anyone lock the operators out), and more
// tightly: a real operator rarely mistypes more than once or twice. Every
// failed or refused attempt is answered after a delay (commands/secret.go)
// that doubles with the recent failures of the client or its address.
const (
	accountFailBurst   = 5
	accountFailEvery   = 30 * time.Second
	ipFailBurst        = 10
	ipFailEvery        = 10 * time.Second
	operFailBurst      = 5
	operFailEvery      = 20 * time.Second
	defaultFailDelay   = time.Second
	maxFailDelayFactor = 8 // the delay doubles up to 8 s
)

// passwordCost is the bcrypt cost new account passwords get.
func passwordCost(w *state.World) int {
	if w.PasswordCost > 0 {
		return w.PasswordCost
	}
	return DefaultPasswordCost
}

// throttled says why c may not try to log in to name now ("" if it may),
// for checks that cost no hashing (SCRAM); checkPassword throttles itself.
func (ac *accountsCtl) throttled(w *state.World, c *state.Client, name string) string {
	wait := ac.logins.Wait(w.Now(), c.Addr, state.Fold(name))
	if wait == 0 {
		return ""
	}
	return ac.tooMany(w, c, name, wait)
}

func (ac *accountsCtl) tooMany(w *state.World, c *state.Client, name string, wait time.Duration) string {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Log.Warn("login throttled", "id", c.ID, "host", c.Host, "account", name, "wait_s", secs)
	return fmt.Sprintf("Too many failed logins; try again in %d seconds", secs)
}

// failed records a failed login by c to name that checkPassword did not
// check (SCRAM, EXTERNAL).
func (ac *accountsCtl) failed(w *state.World, c *state.Client, name, how string) {
	ac.logins.Fail(w.Now(), uint64(c.ID), c.Addr, state.Fold(name))
	ac.logFailed(w, c, name, how)
}

func (ac *accountsCtl) logFailed(w *state.World, c *state.Client, name, how string) {
	w.Log.Warn("failed login", "id", c.ID, "nick", c.Nick, "host", c.Host, "account", name, "via", how)
}

// checkPassword checks a password for the account name off the state
// goroutine, holding c meanwhile (its later lines wait, in order), through
// checkSecret: throttled, bounded, and a failure answered late. then runs
// on the state goroutine with the account, or nil and the reason to give;
// it does not run if c leaves first. An unknown account is checked against
// a dummy hash of the same cost, so the answer takes as long as for a
// wrong password and says the same.
func (ac *accountsCtl) checkPassword(w *state.World, c *state.Client, name, password, how string, then func(w *state.World, acct *state.Account, why string)) {
	var hash []byte
	if acct := w.Account(name); acct != nil {
		hash = []byte(acct.PasswordHash)
	}
	c.Auth.Busy = true
	checkSecret(w, ac.hashes, ac.logins, c, state.Fold(name), hash, bcryptInput(password), passwordCost(w), func(w *state.World, ok bool, retry time.Duration) {
		c.Auth.Busy = false
		if retry > 0 {
			then(w, nil, ac.tooMany(w, c, name, retry))
			return
		}
		acct := w.Account(name) // it may have been deleted meanwhile
		if ok && acct != nil && acct.PasswordHash == string(hash) {
			then(w, acct, "")
			return
		}
		ac.logFailed(w, c, name, how)
		then(w, nil, "Invalid account name or password")
	})
}

// completeLogin logs c in to acct and tells it (900). viaSASL is set for
// SASL and PASS logins, which satisfy strict nick reservation.
//
// A re-authentication to another account moves c straight to it: 900
// names the new account and account-notify peers see ACCOUNT with its
// name, with no 901 or ACCOUNT * in between (a client would take that for
// a logout).
func completeLogin(w *state.World, c *state.Client, acct *state.Account, viaSASL bool) {
	w.Numeric(c, rplLoggedIn, state.LoginMask(c), acct.Name, "You are now logged in as "+acct.Name)
	w.Login(c, acct.Name)
	c.Auth.ViaSASL = c.Auth.ViaSASL || viaSASL
	w.Log.Info("login", "id", c.ID, "nick", c.Nick, "host", c.Host, "account", acct.Name)
	if c.Registered {
		nickIdentified(w, c)
		grantAccountOper(w, c)
		deliverOffline(w, c)
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
