package state

import (
	"net/netip"
	"time"
)

// Client is one connection's chat identity. Only the state goroutine may
// touch it.
type Client struct {
	ID   ClientID
	Out  Outbox
	Addr netip.Addr
	TLS  bool

	Nick     string // "" until NICK; "*" is used in replies before that
	User     string
	Realname string
	Host     string // the client's IP address: no DNS, nothing slows registration
	Away     string
	Modes    UserModes

	Registered bool
	PassOK     bool // sent the right PASS, or no password is configured
	CapVersion int  // 0 when CAP LS was never sent; 301 or 302 after
	CapHeld    bool // CAP LS/REQ seen before registration: wait for CAP END
	Caps       CapSet

	SignedOn   time.Time
	LastActive time.Time // last PRIVMSG/NOTICE, for WHOIS idle time

	// Account is the name of the account the client is logged in to, as
	// registered; "" when not logged in. Change it only with Login and
	// Logout. AccountOf gives it for WHOX, extbans and the like.
	Account string
	// CertFP is the SHA-256 fingerprint (lower-case hex) of the TLS client
	// certificate presented at the handshake; "" for none.
	CertFP string
	// Auth is the connection's login machinery (SASL exchange in progress,
	// a PASS account:password to check at registration, the nick
	// reservation timer); package commands owns what is in it.
	Auth AuthState
	// Node is the node of the cluster the client is connected to ("" on a
	// single server).
	Node string
	// Batch is the client's draft/multiline batch, while it is open (or
	// dead and not yet ended); package commands owns what is in it.
	Batch *ClientBatch

	channels map[*Channel]*Membership
	folded   string // Fold(Nick), the key of the nick and user indexes
	gone     bool   // removed from the world; later events are ignored
	sendFail bool   // its send queue overflowed; it is being dropped
	seen     uint64 // epoch mark for ForNeighbours
	touched  bool   // in World.touched, waiting for a flush

	invitedTo map[*Channel]struct{} // invites it holds (state/invite.go)
	monitor   monitorList           // its MONITOR list (state/monitor.go)

	remote     bool    // connected to another node: Out drops everything (state/mode.go)
	held       bool    // events wait in heldEvents until Release (state/hold.go)
	reheld     bool    // Hold was called while Resume ran its continuation
	resuming   bool    // Resume is running its continuation
	heldEvents []event // the client's lines (and its Gone) that arrived while held
	heldLines  int     // how many of heldEvents are not markers
	req        request // the line being handled, until its last reply (state/request.go)
	stepsRun   uint64  // Step events taken, so that a repeated one is ignored
}

func newClient(id ClientID, out Outbox, addr netip.Addr, tls bool, now time.Time) *Client {
	return &Client{
		ID:         id,
		Out:        out,
		Addr:       addr,
		TLS:        tls,
		Host:       hostFor(addr),
		SignedOn:   now,
		LastActive: now,
		channels:   make(map[*Channel]*Membership),
	}
}

// hostFor renders an address as a hostname. IPv6 addresses that start with
// ':' would read as a trailing parameter in some replies, so they get a
// leading 0 as other servers do.
func hostFor(addr netip.Addr) string {
	if !addr.IsValid() {
		return "unknown"
	}
	s := addr.Unmap().String()
	if s[0] == ':' {
		s = "0" + s
	}
	return s
}

// DisplayNick is the nick to put in replies: "*" before one is chosen.
func (c *Client) DisplayNick() string {
	if c.Nick == "" {
		return "*"
	}
	return c.Nick
}

// Prefix is nick!user@host, the source of messages the client sends.
func (c *Client) Prefix() string {
	return c.Nick + "!" + c.User + "@" + c.Host
}

// Channels calls fn for every channel the client is in.
func (c *Client) Channels() map[*Channel]*Membership { return c.channels }

// Gone reports whether the client has left the world.
func (c *Client) Gone() bool { return c.gone }

// UserModes is a set of user mode letters.
type UserModes uint8

const (
	UserInvisible UserModes = 1 << iota // +i
	UserOper                            // +o
	UserWallops                         // +w
	UserBot                             // +B (IRCv3 bot mode: BOT=B)
)

// UserModeLetters lists the user modes chatd knows, in display order.
var userModeLetters = []struct {
	mode   UserModes
	letter byte
}{{UserBot, 'B'}, {UserInvisible, 'i'}, {UserOper, 'o'}, {UserWallops, 'w'}}

// UserModeFor returns the mode for a letter, or 0 if unknown.
func UserModeFor(letter byte) UserModes {
	for _, m := range userModeLetters {
		if m.letter == letter {
			return m.mode
		}
	}
	return 0
}

// String renders the modes as "+iw" ("+" when none).
func (m UserModes) String() string {
	b := []byte{'+'}
	for _, l := range userModeLetters {
		if m&l.mode != 0 {
			b = append(b, l.letter)
		}
	}
	return string(b)
}

// Cap is one IRCv3 capability.
type Cap uint64

// CapSet is a set of capabilities.
type CapSet uint64

const (
	CapMultiPrefix Cap = 1 << iota
	CapUserhostInNames
	CapServerTime
	CapMessageTags
	CapEchoMessage
	CapAwayNotify
	CapCapNotify
	CapSetname
	CapExtendedJoin
	CapInviteNotify
	CapBatch
	CapLabeledResponse
	// CapSelfMessage is znc.in/self-message: the client shows a PRIVMSG
	// whose source is itself in the window of its target, so the server
	// may send it messages sent on its behalf (chatd's course verbs).
	CapSelfMessage
	CapAccountNotify
	CapAccountTag
	CapSASL
	CapAccountRegistration
	// CapExtendedMonitor and CapDraftExtendedMonitor are extended-monitor
	// under its ratified name and its earlier draft one: either gives
	// the same notifications.
	CapExtendedMonitor
	CapDraftExtendedMonitor
	// CapStandardReplies is standard-replies: the client takes FAIL,
	// WARN and NOTE for anything, so chatd uses them rather than notices.
	CapStandardReplies
	// CapPreAway is draft/pre-away: AWAY before registration.
	CapPreAway
	// CapNoImplicitNames is no-implicit-names: no NAMES after JOIN.
	CapNoImplicitNames
	// CapChatHistory is draft/chathistory: the client fetches history
	// with CHATHISTORY, so it gets no replay on JOIN.
	CapChatHistory
	// CapEventPlayback is draft/event-playback: history batches carry
	// JOIN, PART, QUIT, KICK, MODE, TOPIC, NICK and TAGMSG too.
	CapEventPlayback
	// CapReadMarker is draft/read-marker: MARKREAD, and the marker of a
	// channel after each JOIN.
	CapReadMarker
	// CapMessageRedaction is draft/message-redaction: REDACT, and the
	// REDACT lines of messages deleted in the client's channels and
	// conversations.
	CapMessageRedaction
	// CapChannelRename is draft/channel-rename: the client takes RENAME
	// rather than the PART and JOIN fallback.
	CapChannelRename
	// CapMultiline is draft/multiline: the client sends and receives
	// messages of several lines as batches (state/multiline.go).
	CapMultiline
)

// Capabilities is every capability chatd offers, in the order CAP LS lists
// them. Each one is implemented where the spec says it changes behaviour.
var capabilities = []struct {
	cap  Cap
	name string
}{
	{CapAccountNotify, "account-notify"},
	{CapAccountTag, "account-tag"},
	{CapAwayNotify, "away-notify"},
	{CapBatch, "batch"},
	{CapCapNotify, "cap-notify"},
	{CapEchoMessage, "echo-message"},
	{CapExtendedJoin, "extended-join"},
	{CapExtendedMonitor, "extended-monitor"},
	{CapInviteNotify, "invite-notify"},
	{CapLabeledResponse, "labeled-response"},
	{CapMessageTags, "message-tags"},
	{CapMultiPrefix, "multi-prefix"},
	{CapNoImplicitNames, "no-implicit-names"},
	{CapServerTime, "server-time"},
	{CapSetname, "setname"},
	{CapStandardReplies, "standard-replies"},
	{CapUserhostInNames, "userhost-in-names"},
	{CapAccountRegistration, "draft/account-registration"},
	{CapChannelRename, "draft/channel-rename"},
	{CapChatHistory, "draft/chathistory"},
	{CapEventPlayback, "draft/event-playback"},
	{CapReadMarker, "draft/read-marker"},
	{CapMessageRedaction, "draft/message-redaction"},
	{CapMultiline, "draft/multiline"},
	{CapDraftExtendedMonitor, "draft/extended-monitor"},
	{CapPreAway, "draft/pre-away"},
	{CapSASL, "sasl"},
	{CapSelfMessage, "znc.in/self-message"},
}

// CapNames returns the names of every offered capability.
func CapNames() []string {
	names := make([]string, len(capabilities))
	for i, c := range capabilities {
		names[i] = c.name
	}
	return names
}

// CapByName finds an offered capability; ok is false for unknown names.
func CapByName(name string) (Cap, bool) {
	for _, c := range capabilities {
		if c.name == name {
			return c.cap, true
		}
	}
	return 0, false
}

// Has reports whether the set holds cap.
func (s CapSet) Has(c Cap) bool { return s&CapSet(c) != 0 }

// With returns the set with cap added (or removed when on is false).
func (s CapSet) With(c Cap, on bool) CapSet {
	if on {
		return s | CapSet(c)
	}
	return s &^ CapSet(c)
}

// Names lists the enabled capabilities.
func (s CapSet) Names() []string {
	var names []string
	for _, c := range capabilities {
		if s.Has(c.cap) {
			names = append(names, c.name)
		}
	}
	return names
}
