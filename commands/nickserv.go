package commands

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"chatd/state"
)

// nickServHelp is NickServ's HELP, one line per verb, in this order.
var nickServHelp = [][2]string{
	{"REGISTER <password> [email]", "Register your current nick as an account and log in to it."},
	{"IDENTIFY [account] <password>", "Log in (the account is your nick unless you name it)."},
	{"LOGOUT", "Log out of your account."},
	{"INFO [account]", "Show an account: when it was registered, who is logged in to it."},
	{"SET PASSWORD <new password>", "Change your account's password."},
	{"CERT ADD [fingerprint] | CERT DEL <fingerprint> | CERT LIST", "Log in by TLS client certificate (SASL EXTERNAL); ADD alone adds the one you use now."},
	{"GHOST <nick>", "Disconnect a stale connection using your account's nick (or logged in to your account)."},
	{"REGAIN <nick>", "GHOST, then take the nick yourself."},
	{"DROP <account>", "Delete your account (name it to confirm); its groups are dropped too."},
}

func nickServCommand(w *state.World, c *state.Client, verb string, args []string) {
	reply := func(text string) { servNotice(w, c, nickServ, text) }
	switch verb {
	case "HELP":
		reply("NickServ keeps accounts: an account's name is a nick reserved for you, and logging in proves who you are.")
		for _, h := range nickServHelp {
			reply(h[0] + " - " + h[1])
		}
		reply("Clients that support SASL (PLAIN, SCRAM-SHA-256, EXTERNAL) can log in while connecting instead; so can PASS account:password.")
		if h := w.Config.History; h.Enabled && h.OfflineMessages > 0 {
			reply("Messages sent to your account while nobody is logged in to it are kept (up to " + strconv.Itoa(h.OfflineMessages) + ") and delivered when you next log in.")
		}
	case "REGISTER":
		nsRegister(w, c, args, reply)
	case "IDENTIFY", "LOGIN":
		nsIdentify(w, c, args, reply)
	case "LOGOUT":
		if c.Account == "" {
			reply("You are not logged in.")
			return
		}
		logout(w, c)
		reply("You are now logged out.")
	case "INFO":
		nsInfo(w, c, args, reply)
	case "SET":
		nsSet(w, c, args, reply)
	case "CERT":
		nsCert(w, c, args, reply)
	case "GHOST", "REGAIN":
		nsGhost(w, c, verb, args, reply)
	case "DROP":
		nsDrop(w, c, args, reply)
	default:
		reply("Unknown command " + verb + ". Try /msg NickServ HELP")
	}
}

func nsRegister(w *state.World, c *state.Client, args []string, reply func(string)) {
	if len(args) < 1 {
		reply("Usage: REGISTER <password> [email]")
		return
	}
	if c.Account != "" {
		reply("You are already logged in to " + c.Account + ".")
		return
	}
	if !w.Config.Accounts.Registration && c.Modes&state.UserOper == 0 {
		reply("Registration is closed on this server; ask an operator for an account.")
		return
	}
	name, password := c.Nick, args[0]
	if why := AccountNameProblem(name, w.Config.Limits.NickLength); why != "" {
		reply("You cannot register " + name + ": " + why)
		return
	}
	if w.AccountNameTaken(name) {
		reply("The account " + name + " already exists.")
		return
	}
	email := ""
	if len(args) > 1 {
		email = args[1]
		if !strings.Contains(email, "@") || len(email) > 254 {
			reply("That is not an email address.")
			return
		}
	}
	if why := PasswordProblem(name, password); why != "" {
		reply(why + ".")
		return
	}
	createAccount(w, c, name, email, password, func(w *state.World, acct *state.Account, err error) {
		if err != nil {
			reply("Your account could not be saved; try again later.")
			return
		}
		reply("Account " + acct.Name + " registered. You are now logged in.")
		completeLogin(w, c, acct, false)
	})
}

func nsIdentify(w *state.World, c *state.Client, args []string, reply func(string)) {
	var name, password string
	switch len(args) {
	case 1:
		name, password = c.Nick, args[0]
	case 2:
		name, password = args[0], args[1]
	default:
		reply("Usage: IDENTIFY [account] <password>")
		return
	}
	accountsOf(w).checkPassword(w, c, name, password, "NickServ", func(w *state.World, acct *state.Account, why string) {
		if acct == nil {
			reply(why + ".")
			return
		}
		completeLogin(w, c, acct, false)
		reply("You are now logged in as " + acct.Name + ".")
	})
}

func nsInfo(w *state.World, c *state.Client, args []string, reply func(string)) {
	name := c.Account
	if len(args) > 0 {
		name = args[0]
	}
	if name == "" {
		reply("Usage: INFO <account> (you are not logged in)")
		return
	}
	acct := w.Account(name)
	if acct == nil {
		reply("There is no account " + name + ".")
		return
	}
	reply("Account " + acct.Name + ", registered " + acct.Created.UTC().Format(time.RFC1123))
	var online []string
	for _, u := range w.AccountClients(acct.Name) {
		if u.Registered {
			online = append(online, u.Nick)
		}
	}
	if len(online) > 0 {
		reply("Logged in now: " + strings.Join(online, " "))
	} else {
		reply("Nobody is logged in to it now.")
	}
	if c.Account != "" && state.Fold(c.Account) == state.Fold(acct.Name) {
		if acct.Email != "" {
			reply("Email: " + acct.Email)
		}
		reply("Certificates: " + strconv.Itoa(len(acct.Certs)))
	}
}

func nsSet(w *state.World, c *state.Client, args []string, reply func(string)) {
	if len(args) < 2 || strings.ToUpper(args[0]) != "PASSWORD" {
		reply("Usage: SET PASSWORD <new password>")
		return
	}
	if c.Account == "" {
		reply("You must be logged in to change your password.")
		return
	}
	password := strings.Join(args[1:], " ")
	if why := PasswordProblem(c.Account, password); why != "" {
		reply(why + ".")
		return
	}
	ac, cost, name := accountsOf(w), passwordCost(w), c.Account
	w.Hold(c)
	c.Auth.Busy = true
	w.Offload(c, func() []byte { return hashOffloaded(ac, password, cost) }, func(w *state.World, result []byte) {
		hash, scram, err := hashed(result)
		if err != nil {
			finishHeld(w, c, func() { reply("Your password could not be changed; try again later.") })
			return
		}
		w.Persist(state.SetPassword{Name: state.Fold(name), PasswordHash: hash, Scram: scram}, func(w *state.World, err error) {
			if err == nil {
				w.SetAccountPassword(name, hash, scram)
				w.Log.Info("password changed", "account", name)
			}
			finishHeld(w, c, func() {
				if err != nil {
					reply("Your password could not be saved; try again later.")
					return
				}
				reply("Your password has been changed.")
			})
		})
	})
}

// validFingerprint accepts a SHA-256 fingerprint in hex, with or without
// colons, and returns it in the form chatd keeps (lower case, no colons).
func validFingerprint(s string) (string, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, ":", ""))
	if len(s) != 2*sha256.Size {
		return "", false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", false
	}
	return s, true
}

func nsCert(w *state.World, c *state.Client, args []string, reply func(string)) {
	if c.Account == "" {
		reply("You must be logged in to manage certificates.")
		return
	}
	acct := w.Account(c.Account)
	if acct == nil {
		return
	}
	sub := ""
	if len(args) > 0 {
		sub = strings.ToUpper(args[0])
	}
	switch sub {
	case "LIST":
		certs := append([]string(nil), acct.Certs...)
		sort.Strings(certs)
		reply("Certificates of " + acct.Name + ": " + strconv.Itoa(len(certs)))
		for _, fp := range certs {
			reply(fp)
		}
	case "ADD", "DEL":
		fp := c.CertFP
		if len(args) > 1 {
			fp = args[1]
		} else if sub == "DEL" || fp == "" {
			reply("Usage: CERT " + sub + " <fingerprint> (you are not using a client certificate)")
			return
		}
		fp, ok := validFingerprint(fp)
		if !ok {
			reply("A fingerprint is the certificate's SHA-256 in hex (64 digits).")
			return
		}
		add := sub == "ADD"
		owner := w.AccountByCert(fp)
		switch {
		case add && owner != nil:
			reply("That certificate already belongs to an account.")
			return
		case !add && (owner == nil || state.Fold(owner.Name) != state.Fold(acct.Name)):
			reply("That certificate is not on your account.")
			return
		}
		name := acct.Name
		w.Hold(c)
		c.Auth.Busy = true
		w.Persist(state.SetCert{Account: state.Fold(name), Fingerprint: fp, Add: add}, func(w *state.World, err error) {
			if err == nil {
				w.SetAccountCert(name, fp, add)
			}
			finishHeld(w, c, func() {
				switch {
				case err != nil:
					reply("The change could not be saved; try again later.")
				case add:
					reply("Certificate " + fp + " added to " + name + ".")
				default:
					reply("Certificate " + fp + " removed from " + name + ".")
				}
			})
		})
	default:
		reply("Usage: CERT ADD [fingerprint] | CERT DEL <fingerprint> | CERT LIST")
	}
}

// nsGhost: GHOST and REGAIN. The nick must be the caller's account name,
// or its user logged in to the caller's account.
func nsGhost(w *state.World, c *state.Client, verb string, args []string, reply func(string)) {
	if len(args) < 1 {
		reply("Usage: " + verb + " <nick>")
		return
	}
	if c.Account == "" {
		reply("You must be logged in to use " + verb + ".")
		return
	}
	nick := args[0]
	target := w.ClientByNick(nick)
	own := state.Fold(nick) == state.Fold(c.Account)
	if target != nil && target.Account != "" && state.Fold(target.Account) == state.Fold(c.Account) {
		own = true
	}
	switch {
	case target == c:
		reply("That is you.")
		return
	case !own:
		reply(nick + " is not your account's nick, and its user is not logged in to your account.")
		return
	}
	if target != nil {
		w.Log.Info("ghost", "by", c.Nick, "account", c.Account, "nick", target.Nick)
		w.Quit(target, "GHOST command used by "+c.Nick)
		reply(target.Nick + " has been disconnected.")
	} else if verb == "GHOST" {
		reply(nick + " is not online.")
		return
	}
	if verb == "REGAIN" {
		if !validNick(nick, w.Config.Limits.NickLength) || w.NickInUse(nick, c) {
			reply("You cannot take " + nick + " now.")
			return
		}
		w.ChangeNick(c, nick)
		checkNickReservation(w, c)
		reply("You are now " + c.Nick + ".")
	}
}

func nsDrop(w *state.World, c *state.Client, args []string, reply func(string)) {
	if c.Account == "" {
		reply("You must be logged in to drop your account.")
		return
	}
	if len(args) < 1 || state.Fold(args[0]) != state.Fold(c.Account) {
		reply("To delete your account and its groups for good, type: /msg NickServ DROP " + c.Account)
		return
	}
	name := c.Account
	w.Hold(c)
	c.Auth.Busy = true
	w.Persist(state.DeleteAccount{Name: state.Fold(name)}, func(w *state.World, err error) {
		if err == nil {
			w.Log.Info("account dropped", "account", name, "by", c.Nick)
			w.RemoveAccount(name) // logs everyone out of it, c included
		}
		finishHeld(w, c, func() {
			if err != nil {
				reply("Your account could not be deleted; try again later.")
				return
			}
			reply("Account " + name + " has been deleted.")
		})
	})
}
