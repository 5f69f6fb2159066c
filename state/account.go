package state

import (
	"slices"
	"sort"
	"strings"

	"gopkg.in/irc.v4"
)

// Accounts live in memory, loaded from the store at start; the store is
// told of every change (state/persist.go) and the memory is changed only
// once the store has committed, so that what clients are told matches
// what survives a restart.

// AuthState is a connection's login machinery. Package commands owns
// its meaning; it lives here because it is per client.
type AuthState struct {
	SASL      *SASLExchange // the exchange in progress; nil when none
	ViaSASL   bool          // logged in with SASL or PASS (counts for strict nick reservation)
	Pass      string        // PASS account:password waiting for registration
	Busy      bool          // a password check or account write is in flight
	NickTimer uint64        // generation of the nick-reservation timer (0: none)
}

// SASLExchange is one AUTHENTICATE exchange in progress.
type SASLExchange struct {
	Mech string
	Buf  []byte // the base64 chunks of the current response so far
	Step int    // the mechanism's steps done (SCRAM)
	User string // the account the exchange has proved so far (SCRAM)
	// Conv is mechanism state that lives on the client's node only (a
	// SCRAM server conversation, with its nonce): node-local, used by
	// the work of World.Offload, never part of the world's state.
	Conv any
}

// AccountOf is the account c is logged in to, "" for none: the hook WHOX
// (%a), account extbans and the like use.
func AccountOf(c *Client) string { return c.Account }

// Account finds an account by name, casemapping-aware; nil if none.
func (w *World) Account(name string) *Account { return w.accounts[Fold(name)] }

// AccountByCert finds the account a certificate fingerprint belongs to.
func (w *World) AccountByCert(fp string) *Account {
	if fp == "" {
		return nil
	}
	return w.accounts[w.certs[fp]]
}

// AllAccounts lists every account, by folded name.
func (w *World) AllAccounts() []Account {
	list := make([]Account, 0, len(w.accounts))
	for _, a := range w.accounts {
		list = append(list, *a)
	}
	slices.SortFunc(list, func(a, b Account) int { return strings.Compare(Fold(a.Name), Fold(b.Name)) })
	return list
}

// AccountCount is the number of accounts.
func (w *World) AccountCount() int { return len(w.accounts) }

// AccountNameTaken reports whether name is registered or being registered.
func (w *World) AccountNameTaken(name string) bool {
	key := Fold(name)
	return w.accounts[key] != nil || w.pending[key]
}

// ReserveAccountName marks name as being registered, so that a second
// REGISTER of it while the first is written is refused at once. Every
// reservation ends with AddAccount or UnreserveAccountName.
func (w *World) ReserveAccountName(name string) { w.pending[Fold(name)] = true }

// UnreserveAccountName ends a reservation that did not become an account.
func (w *World) UnreserveAccountName(name string) { delete(w.pending, Fold(name)) }

// AddAccount puts a committed account in memory (ending its reservation).
func (w *World) AddAccount(a Account) {
	key := Fold(a.Name)
	delete(w.pending, key)
	acct := a
	w.accounts[key] = &acct
	for _, fp := range a.Certs {
		w.certs[fp] = key
	}
}

// SetAccountPassword records a committed password change.
func (w *World) SetAccountPassword(name, hash string, scram ScramCredentials) {
	if a := w.Account(name); a != nil {
		a.PasswordHash, a.Scram = hash, scram
	}
}

// SetAccountCert records a committed certificate change.
func (w *World) SetAccountCert(name, fp string, add bool) {
	a := w.Account(name)
	if a == nil {
		return
	}
	if add {
		if !slices.Contains(a.Certs, fp) {
			a.Certs = append(a.Certs, fp)
			sort.Strings(a.Certs)
		}
		w.certs[fp] = Fold(a.Name)
		return
	}
	a.Certs = slices.DeleteFunc(a.Certs, func(s string) bool { return s == fp })
	if w.certs[fp] == Fold(a.Name) {
		delete(w.certs, fp)
	}
}

// RemoveAccount forgets a committed account deletion: its users are
// logged out and the groups it owned become ordinary ones again.
func (w *World) RemoveAccount(name string) {
	key := Fold(name)
	a := w.accounts[key]
	if a == nil {
		return
	}
	for _, fp := range a.Certs {
		delete(w.certs, fp)
	}
	delete(w.accounts, key)
	for _, c := range w.AccountClients(name) {
		w.Logout(c)
	}
	for _, ch := range w.channels {
		if ch.Reg != nil && ch.Reg.Owner == key {
			w.Unregister(ch)
		}
	}
}

// LoadAccounts replaces the accounts in memory with list. The daemon calls
// it before Run; after another process changed the store, ReplaceAccounts
// is used instead.
func (w *World) LoadAccounts(list []Account) {
	clear(w.accounts)
	clear(w.certs)
	for _, a := range list {
		w.AddAccount(a)
	}
}

// ReplaceAccounts puts the store's contents in force after another
// process (chatd account ...) changed it: clients logged in to an account
// that is gone are logged out.
func (w *World) ReplaceAccounts(list []Account) {
	w.LoadAccounts(list)
	for _, c := range w.sortedClients() {
		if c.Account != "" && w.Account(c.Account) == nil {
			w.Logout(c)
		}
	}
}

// StoreChanged puts the store's contents in force, as an event of the
// log, after another process changed it. Any goroutine but the state
// goroutine may call it.
func (w *World) StoreChanged(accounts []Account, channels []ChannelRecord) bool {
	return w.enter(StoreChange{Accounts: accounts, Channels: channels})
}

// AccountClients lists the clients logged in to an account, in the order
// they connected.
func (w *World) AccountClients(name string) []*Client {
	set := w.byAccount[Fold(name)]
	list := make([]*Client, 0, len(set))
	for c := range set {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// indexAccount files c under the account it is now logged in to ("" for
// none), taking it out from under the one before.
func (w *World) indexAccount(c *Client, account string) {
	if c.Account != "" {
		key := Fold(c.Account)
		if set := w.byAccount[key]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(w.byAccount, key)
			}
		}
	}
	if account == "" {
		return
	}
	key := Fold(account)
	set := w.byAccount[key]
	if set == nil {
		set = make(map[*Client]struct{})
		w.byAccount[key] = set
	}
	set[c] = struct{}{}
}

func (w *World) sortedClients() []*Client {
	list := make([]*Client, 0, len(w.clients))
	for _, c := range w.clients {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// Login logs c in to the account name (as registered) and tells those who
// asked for account-notify: c itself and everyone sharing a channel.
func (w *World) Login(c *Client, name string) {
	if c.Account == name {
		return
	}
	w.indexAccount(c, name)
	c.Account = name
	w.notifyAccount(c, name)
}

// Logout logs c out of its account, telling it (901) and account-notify
// clients.
func (w *World) Logout(c *Client) {
	if c.Account == "" {
		return
	}
	w.indexAccount(c, "")
	c.Account = ""
	c.Auth.ViaSASL = false
	w.Numeric(c, "901", LoginMask(c), "You are now logged out")
	w.notifyAccount(c, "*")
}

// LoginMask is nick!user@host as 900 and 901 show it ("*" for parts not
// yet known).
func LoginMask(c *Client) string {
	user := c.User
	if user == "" {
		user = "*"
	}
	return c.DisplayNick() + "!" + user + "@" + c.Host
}

func (w *World) notifyAccount(c *Client, param string) {
	if !c.Registered {
		return
	}
	out := w.NewFanout(&irc.Message{Prefix: &irc.Prefix{Name: c.Nick, User: c.User, Host: c.Host}, Command: "ACCOUNT", Params: []string{param}}, nil)
	out.ToNeighbours(c, CapAccountNotify)
	out.ToWatchers(c, CapAccountNotify)
	if c.Caps.Has(CapAccountNotify) {
		out.To(c)
	}
}
