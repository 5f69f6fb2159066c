package state

import (
	"errors"
	"time"
)

// Writes are the changes to accounts and registered groups that must
// outlive the process. The state goroutine never touches the disk: it
// hands each Write to a Store and hears back, as an event, once the write
// has committed or failed. Every Write is a plain value that says the whole
// change, so a log of them can be replayed (by another node, say) to the
// same result.
type Write interface{ isWrite() }

// CreateAccount adds a new account; it fails if the name is taken.
type CreateAccount struct{ Account Account }

// SetPassword replaces an account's password hash and SCRAM credentials.
type SetPassword struct {
	Name         string // folded account name
	PasswordHash string
	Scram        ScramCredentials
}

// DeleteAccount removes an account, its certificates and the groups it owns.
type DeleteAccount struct{ Name string } // folded

// SetCert adds (Add) or removes a client-certificate fingerprint of an
// account.
type SetCert struct {
	Account     string // folded
	Fingerprint string
	Add         bool
}

// SaveChannel creates or replaces a registered group's record.
type SaveChannel struct{ Channel ChannelRecord }

// DropChannel removes a registered group's record.
type DropChannel struct{ Name string } // folded

// Projected is a write on a cluster node: the log has it at Seq already
// (the log is what makes it durable), and the node's store applies it as
// a projection of the log, once: a write at a sequence the store has
// already applied is skipped.
type Projected struct {
	Seq   uint64
	Write Write
}

func (CreateAccount) isWrite() {}
func (Projected) isWrite()     {}
func (SetPassword) isWrite()   {}
func (DeleteAccount) isWrite() {}
func (SetCert) isWrite()       {}
func (SaveChannel) isWrite()   {}
func (DropChannel) isWrite()   {}

// Store keeps Writes. Submit must never block: it queues wr and reports
// false when it cannot (the queue is full). done is called exactly once,
// on the store's goroutine, after the write committed (nil) or failed.
type Store interface {
	Submit(wr Write, done func(error)) bool
}

// ErrStoreBusy is the answer when the store's queue is full.
var ErrStoreBusy = errors.New("store: too many writes waiting")

// SetStore sets where Writes go. Call it before Run. Without a store every
// write succeeds at once and nothing is kept.
func (w *World) SetStore(s Store) { w.store = s }

// Account is a registered account, as kept in memory and in the store.
type Account struct {
	Name         string // as registered; Fold(Name) is its key
	Email        string
	PasswordHash string // bcrypt
	Scram        ScramCredentials
	Certs        []string // SHA-256 fingerprints of client certificates, lower-case hex
	Created      time.Time
}

// ScramCredentials are what SCRAM-SHA-256 needs to check a password
// without knowing it (RFC 5802 section 3).
type ScramCredentials struct {
	Salt      []byte
	Iters     int
	StoredKey []byte
	ServerKey []byte
}

// ChannelRecord is everything kept about a registered group.
type ChannelRecord struct {
	Name       string
	Owner      string            // folded account name
	Access     map[string]string // folded account name -> "op" or "voice"
	Registered time.Time

	Topic      string
	TopicSetBy string
	TopicSetAt time.Time
	Modes      string // flag letters, e.g. "nt"
	Key        string
	Limit      int
	Bans       []ListEntry
	// Excepts and Invites are the +e and +I lists. They are stored (the
	// schema has room), but chatd has no such lists yet: when they come
	// (issue 11), World.ChannelRecord and LoadChannels copy them too.
	Excepts []ListEntry
	Invites []ListEntry
	// NoReplay: no replay of recent history on JOIN (ChanServ SET REPLAY).
	NoReplay bool
}
