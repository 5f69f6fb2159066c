package commands

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"chatd/passcheck"
	"chatd/state"

	"github.com/xdg-go/scram"
	"golang.org/x/crypto/bcrypt"
)

// Account passwords are kept two ways: a bcrypt hash, checked for SASL
// PLAIN, PASS account:password and NickServ IDENTIFY; and SCRAM-SHA-256
// credentials (RFC 5802: salted PBKDF2, then keys from which the password
// cannot be recovered), which SCRAM needs. bcrypt rather than argon2id:
// it is already what [[oper]] hashes use, it needs no memory tuning on a
// small 2-core box (argon2id's protection comes from tens of MiB per check,
// which several concurrent checks multiply), and its cost is one knob.

// DefaultPasswordCost is the bcrypt cost of account passwords.
const DefaultPasswordCost = bcrypt.DefaultCost

// scramIters is the PBKDF2 iteration count of the SCRAM credentials: RFC
// 7677's minimum, which clients compute in a few milliseconds.
const scramIters = 4096

// HashPassword makes an account's bcrypt hash and SCRAM-SHA-256
// credentials. It is slow on purpose: call it off the state goroutine.
func HashPassword(password string, cost int) (string, state.ScramCredentials, error) {
	hash, err := bcrypt.GenerateFromPassword(bcryptInput(password), cost)
	if err != nil {
		return "", state.ScramCredentials{}, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	client, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		// SASLprep refuses the password (unassigned or prohibited code
		// points): SCRAM cannot be used with it, PLAIN still can.
		return string(hash), state.ScramCredentials{Salt: salt, Iters: scramIters}, nil
	}
	creds := client.GetStoredCredentials(scram.KeyFactors{Salt: string(salt), Iters: scramIters})
	return string(hash), state.ScramCredentials{Salt: salt, Iters: scramIters, StoredKey: creds.StoredKey, ServerKey: creds.ServerKey}, nil
}

// bcryptInput is what bcrypt is given for a password: its SHA-256, in
// base64. bcrypt reads at most 72 bytes (x/crypto refuses more), and a
// password may be up to 300; hashing first keeps every byte significant
// and the input a fixed 44 bytes.
func bcryptInput(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// minPasswordLen and maxPasswordLen bound passwords. The floor is low on
// purpose: a course's accounts are set up by people typing them in class,
// guessing is throttled (commands/throttle.go), and client test suites
// register three-letter passwords; the ceiling fits a PRIVMSG to NickServ
// (the registration spec suggests 300 bytes).
const (
	minPasswordLen = 3
	maxPasswordLen = 300
)

// PasswordProblem says what is wrong with a new password for the account
// name, "" if nothing.
func PasswordProblem(name, p string) string {
	switch {
	case len(p) < minPasswordLen:
		return "Password too weak: use at least 3 characters"
	case state.Fold(p) == state.Fold(name):
		return "Password too weak: it must not be the account's name"
	case len(p) > maxPasswordLen:
		return "Password too long: at most 300 bytes"
	case strings.ContainsFunc(p, unicode.IsControl):
		return "Password must not contain control characters"
	}
	return ""
}

// passwordIsWeak tells WEAK_PASSWORD from UNACCEPTABLE_PASSWORD.
func passwordIsWeak(name, p string) bool {
	return len(p) < minPasswordLen || state.Fold(p) == state.Fold(name)
}

// AccountNameProblem says why name cannot be an account, "" if it can:
// an account's name is also its reserved nick, so it follows the nick
// rules, and the service names are not available.
func AccountNameProblem(name string, nickLen int) string {
	switch {
	case !validNick(name, nickLen):
		return "Account names follow the nickname rules: letters, digits and []\\`_^{|}-, not starting with a digit or '-'"
	case isServiceNick(name):
		return "That name belongs to a service"
	case strings.HasPrefix(state.Fold(name), "guest"):
		return "Names starting with Guest are kept for guests"
	}
	return ""
}

// fakeScram returns SCRAM credentials for an account that does not exist,
// derived from its name and a per-process secret: the exchange goes on as
// for a real account (the same salt each time for a name) and fails at
// the proof, so SCRAM does not tell which accounts exist.
func fakeScram(secret []byte, name string) scram.StoredCredentials {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label + "\x00" + state.Fold(name)))
		return m.Sum(nil)
	}
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(derive("salt")[:16]), Iters: scramIters},
		StoredKey:  derive("stored"),
		ServerKey:  derive("server"),
	}
}

// hashedPassword is what hashing a new password gives, as the log carries
// it from the client's node to every node (World.Offload): the hash and
// credentials, never the password.
type hashedPassword struct {
	Hash  string                 `json:"hash,omitempty"`
	Scram state.ScramCredentials `json:"scram"`
	Err   string                 `json:"err,omitempty"`
}

// hashOffloaded hashes password within the server-wide bound on hashing,
// for World.Offload.
func hashOffloaded(ac *accountsCtl, password string, cost int) []byte {
	var h hashedPassword
	var err error
	ac.hashes.Run(passcheck.Clean, func() { h.Hash, h.Scram, err = HashPassword(password, cost) })
	if err != nil {
		h = hashedPassword{Err: err.Error()}
	}
	data, _ := json.Marshal(h)
	return data
}

// hashed decodes hashOffloaded's result; a nil result (the client's node
// failed before it was in the log) is an error.
func hashed(result []byte) (string, state.ScramCredentials, error) {
	if result == nil {
		return "", state.ScramCredentials{}, errors.New("the password was being hashed on a node that failed")
	}
	var h hashedPassword
	if err := json.Unmarshal(result, &h); err != nil {
		return "", state.ScramCredentials{}, fmt.Errorf("hashed password: %w", err)
	}
	if h.Err != "" {
		return "", state.ScramCredentials{}, errors.New(h.Err)
	}
	return h.Hash, h.Scram, nil
}
