package commands

import (
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// Nick reservation: an account's name is its reserved nick. With
// [accounts] nick_reservation = "timeout", someone else using it is told to
// identify and renamed to a guest nick after nick_timeout; with "strict"
// the nick is refused (433) to anyone not logged in to the account (at
// connection time, that means SASL or PASS account:password); "off" does
// nothing.

// reservedBy returns the account that owns nick and that c is not logged
// in to, or nil when c may use the nick freely.
func reservedBy(w *state.World, c *state.Client, nick string) *state.Account {
	if !accountsOn(w) || w.Config.Accounts.NickReservation == conf.NickReservationOff {
		return nil
	}
	acct := w.Account(nick)
	if acct == nil || (c.Account != "" && state.Fold(c.Account) == state.Fold(acct.Name)) {
		return nil
	}
	return acct
}

// strictReservation reports whether reserved nicks are refused outright.
func strictReservation(w *state.World) bool {
	return w.Config.Accounts.NickReservation == conf.NickReservationStrict
}

// errNickReserved is the 433 a reserved nick gets under strict reservation.
func errNickReserved(nick string) error {
	return numeric(irc.ERR_NICKNAMEINUSE, nick, "Nickname is reserved by a registered account; log in first (SASL or PASS account:password)")
}

// checkNickReservation starts the timeout for a registered client whose
// nick is someone's account name (timeout mode), after telling it how to
// identify. Any earlier timer for c is cancelled.
func checkNickReservation(w *state.World, c *state.Client) {
	c.Auth.NickTimer = 0
	if w.Config.Accounts.NickReservation != conf.NickReservationTimeout {
		return
	}
	acct := reservedBy(w, c, c.Nick)
	if acct == nil {
		return
	}
	timeout := w.Config.Accounts.NickTimeout.Duration
	servNotice(w, c, nickServ, "This nickname is registered to the account "+acct.Name+". If it is yours, log in with /msg NickServ IDENTIFY <password>; otherwise you will be renamed in "+timeout.String()+".")
	gen := w.NextTimer()
	c.Auth.NickTimer = gen
	nick := c.Nick
	w.After(c, timeout, func(w *state.World) {
		if c.Gone() || c.Auth.NickTimer != gen || state.Fold(c.Nick) != state.Fold(nick) || reservedBy(w, c, nick) == nil {
			return
		}
		c.Auth.NickTimer = 0
		guest := w.GuestNick()
		servNotice(w, c, nickServ, "You did not identify for "+nick+"; your nick is now "+guest+".")
		w.ChangeNick(c, guest)
	})
}

// nickIdentified cancels the reservation timer once c logged in to the
// account that owns its nick.
func nickIdentified(w *state.World, c *state.Client) {
	if c.Auth.NickTimer != 0 && reservedBy(w, c, c.Nick) == nil {
		c.Auth.NickTimer = 0
	}
}
