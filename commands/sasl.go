package commands

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	"chatd/state"

	"github.com/xdg-go/scram"
	"gopkg.in/irc.v4"
)

// SASL (IRCv3 sasl-3.1 and 3.2): AUTHENTICATE with PLAIN, SCRAM-SHA-256
// and EXTERNAL (the TLS client certificate's fingerprint). Responses come
// base64-encoded in chunks of 400 bytes; a chunk of exactly 400 means more
// follows ("+" ends a response whose last chunk was 400 bytes). A client
// may authenticate again at any time, registered or not (sasl-3.2).

// saslMechanisms is the value of the sasl capability and of 908.
const saslMechanisms = "PLAIN,SCRAM-SHA-256,EXTERNAL"

// saslChunk is the length of a full AUTHENTICATE chunk.
const saslChunk = 400

// maxSASLResponse bounds one response (base64): far more than any of the
// three mechanisms needs.
const maxSASLResponse = 4 * saslChunk

func handleAuthenticate(w *state.World, c *state.Client, m *irc.Message) error {
	if !accountsOn(w) {
		return numeric(irc.ERR_UNKNOWNCOMMAND, "AUTHENTICATE", "Unknown command")
	}
	arg := m.Params[0]
	if !c.Caps.Has(state.CapSASL) {
		return numeric(errSASLFail, "SASL authentication failed: enable the sasl capability first (CAP REQ sasl)")
	}
	if arg == "*" {
		c.Auth.SASL = nil
		return numeric(errSASLAborted, "SASL authentication aborted")
	}
	ex := c.Auth.SASL
	if ex == nil {
		return startSASL(w, c, arg)
	}
	if len(arg) > saslChunk {
		c.Auth.SASL = nil
		return numeric(errSASLTooLong, "SASL message too long")
	}
	if arg != "+" {
		ex.Buf = append(ex.Buf, arg...)
	}
	if len(ex.Buf) > maxSASLResponse {
		c.Auth.SASL = nil
		return numeric(errSASLTooLong, "SASL message too long")
	}
	if len(arg) == saslChunk {
		return nil // more to come
	}
	resp, err := base64.StdEncoding.DecodeString(string(ex.Buf))
	ex.Buf = ex.Buf[:0]
	if err != nil {
		c.Auth.SASL = nil
		return numeric(errSASLFail, "SASL authentication failed: the response is not valid base64")
	}
	switch ex.Mech {
	case "PLAIN":
		saslPlain(w, c, resp)
	case "EXTERNAL":
		saslExternal(w, c, resp)
	case "SCRAM-SHA-256":
		saslScram(w, c, ex, resp)
	}
	return nil
}

// startSASL begins an exchange for mechanism mech.
func startSASL(w *state.World, c *state.Client, mech string) error {
	mech = strings.ToUpper(mech)
	switch mech {
	case "PLAIN", "EXTERNAL", "SCRAM-SHA-256":
	default:
		w.Numeric(c, rplSASLMechs, saslMechanisms, "are available SASL mechanisms")
		return numeric(errSASLFail, "SASL authentication failed: unknown mechanism")
	}
	c.Auth.SASL = &state.SASLExchange{Mech: mech}
	w.SendMessage(c, &irc.Message{Command: "AUTHENTICATE", Params: []string{"+"}})
	return nil
}

// saslFailed ends the exchange with 904.
func saslFailed(w *state.World, c *state.Client, why string) {
	c.Auth.SASL = nil
	text := "SASL authentication failed"
	if why != "" {
		text += ": " + why
	}
	w.Numeric(c, errSASLFail, text)
}

// saslSucceeded logs c in and ends the exchange with 900 and 903.
func saslSucceeded(w *state.World, c *state.Client, acct *state.Account) {
	c.Auth.SASL = nil
	completeLogin(w, c, acct, true)
	w.Numeric(c, rplSASLSuccess, "SASL authentication successful")
}

// saslPlain: authzid NUL authcid NUL password (RFC 4616).
func saslPlain(w *state.World, c *state.Client, resp []byte) {
	parts := bytes.Split(resp, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		saslFailed(w, c, "malformed PLAIN response")
		return
	}
	authz, name, password := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && state.Fold(authz) != state.Fold(name) {
		saslFailed(w, c, "authorization identity must be empty or the account itself")
		return
	}
	accountsOf(w).checkPassword(w, c, name, password, "SASL PLAIN", func(w *state.World, acct *state.Account, why string) {
		if acct == nil {
			saslFailed(w, c, why)
			return
		}
		saslSucceeded(w, c, acct)
	})
}

// saslExternal logs in by the TLS client certificate's fingerprint; the
// response is empty or names the account.
func saslExternal(w *state.World, c *state.Client, resp []byte) {
	acct := w.AccountByCert(c.CertFP)
	switch {
	case c.CertFP == "":
		saslFailed(w, c, "no TLS client certificate")
	case acct == nil:
		accountsOf(w).failed(w, c, "*cert*", "SASL EXTERNAL")
		saslFailed(w, c, "this certificate belongs to no account (add it with /msg NickServ CERT ADD)")
	case len(resp) > 0 && state.Fold(string(resp)) != state.Fold(acct.Name):
		saslFailed(w, c, "this certificate does not belong to "+string(resp))
	default:
		saslSucceeded(w, c, acct)
	}
}

// saslScram runs SCRAM-SHA-256 (RFC 5802, 7677) with github.com/xdg-go/scram.
// The exchange: client-first, server-first, client-final, server-final,
// then an empty response from the client, answered with 900 and 903.
//
// The server's side holds a random nonce, so it runs on the client's own
// node only, in the work of World.Offload (a few HMACs); what the log
// carries to every node is each step's outcome (the server's message,
// whether the proof was valid, the account), so every node decides the
// login alike. The client is held during each step.
func saslScram(w *state.World, c *state.Client, ex *state.SASLExchange, resp []byte) {
	ac := accountsOf(w)
	msg := string(resp)
	switch ex.Step {
	case 0:
		name := scramUsername(resp)
		if why := ac.throttled(w, c, name); why != "" {
			saslFailed(w, c, why)
			return
		}
		creds, known := scramCredentials(w, name)
		secret := ac.secret
		conv := &scramConv{}
		ex.Conv, ex.Step = conv, 1
		w.Hold(c)
		w.Offload(c, func() []byte {
			server, err := scram.SHA256.NewServer(func(user string) (scram.StoredCredentials, error) {
				if known && user == name {
					return creds, nil
				}
				return fakeScram(secret, user), nil
			})
			if err != nil {
				return scramOutcome(scramStep{Err: true})
			}
			conv.server = server.NewConversation()
			out, err := conv.server.Step(msg)
			return scramOutcome(scramStep{Out: out, Err: err != nil})
		}, func(w *state.World, result []byte) {
			st := parseScramStep(result)
			w.Resume(c, func() {
				switch {
				case c.Auth.SASL != ex:
				case st.Err:
					saslFailed(w, c, "malformed SCRAM message")
				default:
					sendAuthenticate(w, c, []byte(st.Out))
				}
			})
		})
	case 1:
		conv, _ := ex.Conv.(*scramConv)
		ex.Step = 2
		w.Hold(c)
		w.Offload(c, func() []byte {
			if conv == nil || conv.server == nil {
				return scramOutcome(scramStep{Err: true})
			}
			out, err := conv.server.Step(msg)
			return scramOutcome(scramStep{Out: out, Err: err != nil, Valid: conv.server.Valid(), User: conv.server.Username(), Authz: conv.server.AuthzID()})
		}, func(w *state.World, result []byte) {
			st := parseScramStep(result)
			w.Resume(c, func() {
				switch {
				case c.Auth.SASL != ex:
				case st.Err || !st.Valid || w.Account(st.User) == nil:
					ac.failed(w, c, st.User, "SASL SCRAM-SHA-256")
					saslFailed(w, c, "Invalid account name or password")
				case st.Authz != "" && state.Fold(st.Authz) != state.Fold(st.User):
					saslFailed(w, c, "authorization identity must be empty or the account itself")
				default:
					ex.User = st.User
					sendAuthenticate(w, c, []byte(st.Out))
				}
			})
		})
	default:
		acct := w.Account(ex.User)
		if len(resp) != 0 || acct == nil {
			saslFailed(w, c, "")
			return
		}
		saslSucceeded(w, c, acct)
	}
}

// scramConv is the server's side of one SCRAM exchange. It exists on
// every node, but only the client's own node's Offload work fills and
// uses it, one step after the other (the client is held meanwhile); the
// state goroutine never looks inside.
type scramConv struct{ server *scram.ServerConversation }

// scramCredentials are the stored credentials of account name, if it has
// them; looked up on the state goroutine, before the exchange's work.
func scramCredentials(w *state.World, name string) (scram.StoredCredentials, bool) {
	acct := w.Account(name)
	if acct == nil || acct.Scram.StoredKey == nil {
		return scram.StoredCredentials{}, false
	}
	s := acct.Scram
	return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(s.Salt), Iters: s.Iters}, StoredKey: s.StoredKey, ServerKey: s.ServerKey}, true
}

// scramStep is one step's outcome as the log carries it.
type scramStep struct {
	Out   string `json:"out,omitempty"`
	Err   bool   `json:"err,omitempty"`
	Valid bool   `json:"valid,omitempty"`
	User  string `json:"user,omitempty"`
	Authz string `json:"authz,omitempty"`
}

func scramOutcome(st scramStep) []byte {
	data, _ := json.Marshal(st)
	return data
}

// parseScramStep decodes a step's outcome; a lost one (nil: the client's
// node failed) or a broken one is an error.
func parseScramStep(result []byte) scramStep {
	var st scramStep
	if result == nil || json.Unmarshal(result, &st) != nil {
		return scramStep{Err: true}
	}
	return st
}

// scramUsername pulls the n= user out of a SCRAM client-first message, for
// throttling before the exchange starts ("" when there is none).
func scramUsername(first []byte) string {
	for _, field := range strings.Split(string(first), ",") {
		if name, ok := strings.CutPrefix(field, "n="); ok {
			return strings.NewReplacer("=2C", ",", "=3D", "=").Replace(name)
		}
	}
	return ""
}

// sendAuthenticate sends a server challenge, base64-encoded and cut into
// 400-byte chunks ("+" after a last chunk of exactly 400, or for empty).
func sendAuthenticate(w *state.World, c *state.Client, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) >= saslChunk {
		w.SendMessage(c, &irc.Message{Command: "AUTHENTICATE", Params: []string{enc[:saslChunk]}})
		enc = enc[saslChunk:]
	}
	if enc == "" {
		enc = "+"
	}
	w.SendMessage(c, &irc.Message{Command: "AUTHENTICATE", Params: []string{enc}})
}
