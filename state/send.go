package state

import (
	"strings"
	"time"

	"gopkg.in/irc.v4"
)

// Numerics chatd sends that gopkg.in/irc.v4 has no constant for (it leaves
// out everything not in RFC 1459/2812).
const (
	RplLocalUsers    = "265"
	RplGlobalUsers   = "266"
	RplWhoisCertFP   = "276"
	RplCreationTime  = "329"
	RplTopicWhoTime  = "333"
	RplWhoisActually = "338"
	RplWhoisSecure   = "671"
	RplHelpStart     = "704"
	RplHelpTxt       = "705"
	RplEndOfHelp     = "706"
	ErrUnknownError  = "400"
	ErrInputTooLong  = "417"
	ErrInvalidCapCmd = "410"
	ErrHelpNotFound  = "524"
	ErrInvalidKey    = "525"
	ErrBadChanName   = "479"
)

// Send queues an encoded line for c. A client whose queue is full is marked
// and dropped with "SendQ exceeded" once the current event is handled.
func (w *World) Send(c *Client, line []byte) {
	if line == nil || c.gone || c.sendFail {
		return
	}
	if c == w.cur {
		if line = w.inRequest(c, line); line == nil {
			return
		}
	}
	w.enqueue(c, line)
}

// enqueue hands line to c's connection, bypassing c's request.
func (w *World) enqueue(c *Client, line []byte) {
	if line == nil || c.gone || c.sendFail {
		return
	}
	if !c.Out.Enqueue(line) {
		c.sendFail = true
		w.doomed = append(w.doomed, c)
		return
	}
	w.pushBack(c)
	if !c.touched {
		c.touched = true
		w.touched = append(w.touched, c)
	}
}

// SendMessage encodes m and queues it for c.
func (w *World) SendMessage(c *Client, m *irc.Message) {
	w.Send(c, w.encodeOrLog(m))
}

// ServerPrefix is the source of messages chatd itself sends.
// It is shared: callers must not modify it.
func (w *World) ServerPrefix() *irc.Prefix {
	if w.serverPrefix == nil || w.serverPrefix.Name != w.Config.Server.Name {
		w.serverPrefix = &irc.Prefix{Name: w.Config.Server.Name}
	}
	return w.serverPrefix
}

// Numeric sends a numeric reply: ":server CODE nick params...".
func (w *World) Numeric(c *Client, code string, params ...string) {
	w.SendMessage(c, w.numericMessage(code, c.DisplayNick(), params))
}

// numericMessage is ":server CODE nick params...", its middle parameters
// made safe (SafeParams).
func (w *World) numericMessage(code, nick string, params []string) *irc.Message {
	p := make([]string, 0, len(params)+1)
	p = append(p, nick)
	p = append(p, params...)
	return &irc.Message{Prefix: w.ServerPrefix(), Command: code, Params: SafeParams(p)}
}

// ServerMessage sends a non-numeric message from the server, e.g. NOTICE
// or FAIL, its middle parameters made safe (SafeParams).
func (w *World) ServerMessage(c *Client, command string, params ...string) {
	w.SendMessage(c, &irc.Message{Prefix: w.ServerPrefix(), Command: command, Params: SafeParams(params)})
}

// SafeParams makes the parameters of a server reply encodable whatever
// client text they echo: a middle parameter that is empty, holds a space
// or starts with ':' (a client can send any of these as a trailing
// parameter, "INVITE bob :#a b") becomes "*", and CR, LF and NUL (which
// the reader never lets through, but a reply must never carry) become
// spaces. The last parameter is free text and is sent whole. Without this
// the encoder would refuse the reply and the client would get nothing.
// params is changed in place and returned.
func SafeParams(params []string) []string {
	for i, p := range params {
		if strings.ContainsAny(p, "\r\n\x00") {
			p = strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' || r == 0 {
					return ' '
				}
				return r
			}, p)
			params[i] = p
		}
		if i < len(params)-1 && (p == "" || p[0] == ':' || strings.IndexByte(p, ' ') >= 0) {
			params[i] = "*"
		}
	}
	return params
}

// Fanout is one message on its way to many clients. It is encoded at most
// once per variant that a recipient's capabilities call for (with or without
// server-time; with or without message tags, that is the msgid and the
// sender's client-only tags), and the same bytes are handed to every
// recipient of that variant.
type Fanout struct {
	w          *World
	msg        *irc.Message
	clientTags irc.Tags
	msgid      string    // set for relayed messages (IRCv3 message-ids)
	at         time.Time // formatted for server-time only if a recipient has it
	lines      [8][]byte
	account    string // the sender's account, for account-tag; see senderAccount
	bot        bool   // the sender is a bot (user mode +B): the bot tag
	accountSet bool
}

// NewFanout prepares m (which must carry no tags) for delivery. clientTags
// are the sender's client-only tags, relayed to message-tags clients.
func (w *World) NewFanout(m *irc.Message, clientTags irc.Tags) *Fanout {
	return &Fanout{
		w:          w,
		msg:        m,
		clientTags: clientTags,
		at:         w.Now(),
	}
}

// NewRelay prepares a client's PRIVMSG, NOTICE or TAGMSG: like NewFanout,
// and message-tags recipients also get a msgid, the same for every copy
// (the sender's echo included).
// The message is not recorded: RelayToChannel and RelayPrivate are for
// messages that are part of history.
func (w *World) NewRelay(m *irc.Message, clientTags irc.Tags) *Fanout {
	f := w.NewFanout(m, clientTags)
	ord := w.nextOrd()
	f.msgid, f.at = (&HistoryEntry{Ord: ord}).Msgid(), OrdTime(ord)
	return f
}

// Line returns the bytes for a recipient with caps.
func (f *Fanout) Line(caps CapSet) []byte {
	variant := 0
	if caps.Has(CapServerTime) {
		variant |= 1
	}
	if caps.Has(CapMessageTags) && (len(f.clientTags) > 0 || f.msgid != "" || f.fromBot()) {
		variant |= 2
	}
	if caps.Has(CapAccountTag) && f.senderAccount() != "" {
		variant |= 4
	}
	if f.lines[variant] == nil {
		m := *f.msg
		if variant != 0 {
			m.Tags = irc.Tags{}
			if variant&1 != 0 {
				m.Tags["time"] = f.at.UTC().Format("2006-01-02T15:04:05.000Z")
			}
			if variant&4 != 0 {
				m.Tags["account"] = f.account
			}
			if variant&2 != 0 {
				if f.msgid != "" {
					m.Tags["msgid"] = f.msgid
				}
				if f.fromBot() {
					m.Tags["bot"] = "" // IRCv3 bot mode: a tag without a value
				}
				for k, v := range f.clientTags {
					m.Tags[k] = v
				}
			}
		}
		f.lines[variant] = f.w.encodeOrLog(&m)
	}
	return f.lines[variant]
}

// senderAccount is the account of the client the message comes from
// (IRCv3 account-tag), found by the nick in its prefix the first time a
// recipient with account-tag needs it, so that a fan-out that no such
// client receives costs nothing more.
func (f *Fanout) senderAccount() string {
	f.lookUpSender()
	return f.account
}

// fromBot reports whether the message comes from a client in bot mode
// (+B), whose messages carry the bot tag for message-tags recipients
// (IRCv3 bot mode: "SHOULD be added by the server to all commands sent
// by a bot").
func (f *Fanout) fromBot() bool {
	f.lookUpSender()
	return f.bot
}

// lookUpSender finds, once, what the tags need to know of the client the
// message comes from (by the nick in its prefix).
func (f *Fanout) lookUpSender() {
	if f.accountSet {
		return
	}
	f.accountSet = true
	if p := f.msg.Prefix; p != nil && p.User != "" {
		if c := f.w.nicks[Fold(p.Name)]; c != nil && c.Registered {
			f.account = c.Account
			f.bot = c.Modes&UserBot != 0
		}
	}
}

// To queues the message for c.
func (f *Fanout) To(c *Client) { f.w.Send(c, f.Line(c.Caps)) }

// Deliver queues the message for c outside c's request (World.Deliver).
func (f *Fanout) Deliver(c *Client) { f.w.Deliver(c, f.Line(c.Caps)) }

// ToChannel queues the message for every member of ch except skip (which may
// be nil), optionally only those with capability need (0 for everyone).
func (f *Fanout) ToChannel(ch *Channel, skip *Client, need Cap) {
	for m := range ch.members {
		if m == skip || (need != 0 && !m.Caps.Has(need)) {
			continue
		}
		f.To(m)
	}
}

// ToNeighbours queues the message once for every client that shares a
// channel with c (c itself excluded), optionally only those with need.
func (f *Fanout) ToNeighbours(c *Client, need Cap) {
	f.w.ForNeighbours(c, func(n *Client) {
		if need == 0 || n.Caps.Has(need) {
			f.To(n)
		}
	})
}

// ForNeighbours calls fn once for each client sharing a channel with c,
// excluding c. It marks visited clients with an epoch rather than building
// a set, so the fan-out allocates nothing per recipient.
func (w *World) ForNeighbours(c *Client, fn func(*Client)) {
	w.epoch++
	c.seen = w.epoch
	for ch := range c.channels {
		for m := range ch.members {
			if m.seen == w.epoch {
				continue
			}
			m.seen = w.epoch
			fn(m)
		}
	}
}
