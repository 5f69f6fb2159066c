package state

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"chatd/conf"
)

// A snapshot is the whole world after one event of the log, as data: a
// cluster node restarts from the latest one and replays the log from the
// event after it. Every field of the world's types is either in it or
// named node-local, in one table (state/fields.go); TestSnapshotFields
// fails for a field that is in neither, and the replay tests compare a
// world restored from a snapshot with one that never stopped, field by
// field (World.Dump), so a field the snapshot forgets shows as a
// difference.
//
// Continuations are code, not data: a snapshot can only be taken when no
// client waits for slow work, a timer or the next slice of a reply
// (World.Quiescent). On a live network such moments come often (each
// wait lasts milliseconds to seconds); the snapshotter takes the first
// one after a snapshot is due.

// snapshotVersion is the version of the encoding; a node refuses a
// snapshot of another version (and replays the log from the start).
const snapshotVersion = 1

// Snapshot is the encoded form of the world.
type Snapshot struct {
	Version  int             `json:"version"`
	Seq      uint64          `json:"seq"`
	Now      time.Time       `json:"now"`
	Started  time.Time       `json:"started"`
	Config   *conf.Config    `json:"config"`
	Counters snapCounters    `json:"counters"`
	Clients  []snapClient    `json:"clients"`
	Channels []snapChannel   `json:"channels"`
	Whowas   snapWhowas      `json:"whowas"`
	Klines   []Kline         `json:"klines"`
	Accounts []Account       `json:"accounts"`
	Reserved []string        `json:"reserved,omitempty"` // account names being registered
	Nodes    []Node          `json:"nodes,omitempty"`
	History  snapHistory     `json:"history"`
	Services json.RawMessage `json:"services,omitempty"`
}

type snapCounters struct {
	MaxUsers   int    `json:"max_users"`
	BatchCount uint64 `json:"batch_count"`
	Guests     uint64 `json:"guests"`
	Timers     uint64 `json:"timers"`
	ContSeq    uint64 `json:"cont_seq"`
}

type snapClient struct {
	ID         ClientID     `json:"id"`
	Node       string       `json:"node,omitempty"`
	Addr       netip.Addr   `json:"addr"`
	TLS        bool         `json:"tls,omitempty"`
	Nick       string       `json:"nick,omitempty"`
	User       string       `json:"user,omitempty"`
	Realname   string       `json:"realname,omitempty"`
	Host       string       `json:"host"`
	Away       string       `json:"away,omitempty"`
	Modes      UserModes    `json:"modes,omitempty"`
	Registered bool         `json:"registered,omitempty"`
	PassOK     bool         `json:"pass_ok,omitempty"`
	CapVersion int          `json:"cap_version,omitempty"`
	CapHeld    bool         `json:"cap_held,omitempty"`
	Caps       CapSet       `json:"caps,omitempty"`
	SignedOn   time.Time    `json:"signed_on"`
	LastActive time.Time    `json:"last_active"`
	Account    string       `json:"account,omitempty"`
	CertFP     string       `json:"cert_fp,omitempty"`
	Auth       snapAuth     `json:"auth"`
	Monitor    []string     `json:"monitor,omitempty"`
	StepsRun   uint64       `json:"steps_run,omitempty"`
	Batch      *ClientBatch `json:"batch,omitempty"` // a dead multiline batch (an open one keeps snapshots off)
}

type snapAuth struct {
	SASLMech  string `json:"sasl_mech,omitempty"` // "" when no exchange is in progress
	SASLBuf   []byte `json:"sasl_buf,omitempty"`
	SASLStep  int    `json:"sasl_step,omitempty"`
	SASLUser  string `json:"sasl_user,omitempty"`
	ViaSASL   bool   `json:"via_sasl,omitempty"`
	Pass      string `json:"pass,omitempty"`
	Busy      bool   `json:"busy,omitempty"`
	NickTimer uint64 `json:"nick_timer,omitempty"`
}

type snapChannel struct {
	Name       string       `json:"name"`
	Created    time.Time    `json:"created"`
	Topic      string       `json:"topic,omitempty"`
	TopicSetBy string       `json:"topic_set_by,omitempty"`
	TopicSetAt time.Time    `json:"topic_set_at"`
	Modes      ChannelModes `json:"modes,omitempty"`
	Key        string       `json:"key,omitempty"`
	Limit      int          `json:"limit,omitempty"`
	Bans       []ListEntry  `json:"bans,omitempty"`
	Excepts    []ListEntry  `json:"excepts,omitempty"`
	InvExcepts []ListEntry  `json:"invite_excepts,omitempty"`
	Invites    []snapInvite `json:"invites,omitempty"`
	Reg        *ChannelReg  `json:"reg,omitempty"`
	Members    []snapMember `json:"members,omitempty"`
	History    *snapRing    `json:"history,omitempty"`
	NoReplay   bool         `json:"no_replay,omitempty"`
	RenamedAt  time.Time    `json:"renamed_at"`
}

type snapInvite struct {
	Client  ClientID  `json:"client"`
	Expires time.Time `json:"expires"`
}

type snapMember struct {
	Client ClientID `json:"client"`
	Op     bool     `json:"op,omitempty"`
	Voice  bool     `json:"voice,omitempty"`
}

type snapHistory struct {
	LastOrd        uint64                            `json:"last_ord"`
	Kept           bool                              `json:"kept,omitempty"`
	Private        map[string]*snapRing              `json:"private,omitempty"`
	Stored         map[string]uint64                 `json:"stored,omitempty"`
	StoredMsg      map[string]uint64                 `json:"stored_msg,omitempty"`
	Sessions       map[ClientID][]string             `json:"sessions,omitempty"`
	Mail           map[string]snapMailbox            `json:"mail,omitempty"`
	Markers        map[string]map[string]time.Time   `json:"markers,omitempty"`
	SessionMarkers map[ClientID]map[string]time.Time `json:"session_markers,omitempty"`
}

type snapWhowas struct {
	Size    int           `json:"size"`
	Next    int           `json:"next"`
	Full    bool          `json:"full,omitempty"`
	Entries []WhowasEntry `json:"entries"`
}

// ServiceState is what World.Services implements to be part of
// snapshots (package commands' login throttles).
type ServiceState interface {
	SaveState() ([]byte, error)
}

// ErrNotQuiescent means a snapshot was asked for while continuations
// were waiting (see World.Quiescent).
var ErrNotQuiescent = errors.New("state: a client is waiting for slow work or its next slice")

// Quiescent reports whether no continuation is waiting: no Result, no
// Step, no held client. Only then can the world be a snapshot.
func (w *World) Quiescent() bool {
	if len(w.conts) > 0 {
		return false
	}
	for _, c := range w.clients {
		if c.held || c.req.open || len(c.heldEvents) > 0 {
			return false
		}
	}
	for _, n := range w.nodes {
		if len(n.early) > 0 {
			return false
		}
	}
	return true
}

// TakeSnapshot encodes the world as it is after the event being (or last)
// handled. It fails with ErrNotQuiescent when continuations are waiting.
// O(size of the world); state goroutine only.
func (w *World) TakeSnapshot() ([]byte, error) {
	if !w.Quiescent() {
		return nil, ErrNotQuiescent
	}
	s := Snapshot{
		Version: snapshotVersion, Seq: w.seq, Now: w.now, Started: w.Started,
		Config: w.Config,
		Counters: snapCounters{
			MaxUsers: w.maxUsers, BatchCount: w.batchCount,
			Guests: w.guests, Timers: w.timers, ContSeq: w.contSeq,
		},
		Whowas: snapWhowas{Size: len(w.whowas.entries), Next: w.whowas.next, Full: w.whowas.full, Entries: w.whowas.entries},
		Klines: w.allKlines(),
		Nodes:  w.sortedNodes(),
		History: snapHistory{
			LastOrd: w.history.lastOrd, Kept: w.history.kept, Stored: w.history.stored, StoredMsg: w.history.storedMsg, Sessions: w.history.sessions,
			Markers: w.history.markers, SessionMarkers: w.history.sessionMarkers,
		},
	}
	for account, box := range w.history.mail {
		if s.History.Mail == nil {
			s.History.Mail = map[string]snapMailbox{}
		}
		s.History.Mail[account] = snapMailbox{Total: box.total, BySender: box.bySender}
	}
	for key, r := range w.history.private {
		if s.History.Private == nil {
			s.History.Private = map[string]*snapRing{}
		}
		s.History.Private[key] = r.snapshot()
	}
	for _, c := range w.sortedClients() {
		s.Clients = append(s.Clients, snapClientOf(c))
	}
	w.ChannelsFrom("", func(ch *Channel) bool {
		s.Channels = append(s.Channels, snapChannelOf(ch))
		return true
	})
	for _, a := range w.accounts {
		s.Accounts = append(s.Accounts, *a)
	}
	slices.SortFunc(s.Accounts, func(a, b Account) int { return cmp.Compare(Fold(a.Name), Fold(b.Name)) })
	for name := range w.pending {
		s.Reserved = append(s.Reserved, name)
	}
	slices.Sort(s.Reserved)
	if svc, ok := w.Services.(ServiceState); ok {
		data, err := svc.SaveState()
		if err != nil {
			return nil, fmt.Errorf("state: snapshot of services: %w", err)
		}
		s.Services = data
	} else if w.restoredServices != nil {
		s.Services = w.restoredServices
	}
	return json.Marshal(&s)
}

func snapClientOf(c *Client) snapClient {
	sc := snapClient{
		ID: c.ID, Node: c.Node, Addr: c.Addr, TLS: c.TLS,
		Nick: c.Nick, User: c.User, Realname: c.Realname, Host: c.Host, Away: c.Away, Modes: c.Modes,
		Registered: c.Registered, PassOK: c.PassOK, CapVersion: c.CapVersion, CapHeld: c.CapHeld, Caps: c.Caps,
		SignedOn: c.SignedOn, LastActive: c.LastActive, Account: c.Account, CertFP: c.CertFP,
		Auth: snapAuth{
			ViaSASL: c.Auth.ViaSASL, Pass: c.Auth.Pass, Busy: c.Auth.Busy, NickTimer: c.Auth.NickTimer,
		},
		Monitor:  c.monitor.nicks,
		StepsRun: c.stepsRun,
		Batch:    c.Batch,
	}
	if ex := c.Auth.SASL; ex != nil {
		sc.Auth.SASLMech, sc.Auth.SASLBuf, sc.Auth.SASLStep, sc.Auth.SASLUser = ex.Mech, ex.Buf, ex.Step, ex.User
	}
	return sc
}

func snapChannelOf(ch *Channel) snapChannel {
	sc := snapChannel{
		Name: ch.Name, Created: ch.Created, Topic: ch.Topic, TopicSetBy: ch.TopicSetBy, TopicSetAt: ch.TopicSetAt,
		Modes: ch.Modes, Key: ch.Key, Limit: ch.Limit, Bans: ch.Bans, Reg: ch.Reg,
		Excepts: ch.Excepts, InvExcepts: ch.InviteExcepts, History: ch.history.snapshot(),
		NoReplay: ch.NoReplay, RenamedAt: ch.RenamedAt,
	}
	for c, m := range ch.members {
		sc.Members = append(sc.Members, snapMember{Client: c.ID, Op: m.Op, Voice: m.Voice})
	}
	slices.SortFunc(sc.Members, func(a, b snapMember) int { return cmp.Compare(a.Client, b.Client) })
	for c, exp := range ch.invites {
		sc.Invites = append(sc.Invites, snapInvite{Client: c.ID, Expires: exp})
	}
	slices.SortFunc(sc.Invites, func(a, b snapInvite) int { return cmp.Compare(a.Client, b.Client) })
	return sc
}

// allKlines lists every K-line kept, expired ones included (dropping
// them is itself part of the world's history), oldest first.
func (w *World) allKlines() []Kline {
	w.klines.init()
	var list []Kline
	w.klines.tree.Ascend(func(it *klineItem) bool {
		list = append(list, it.Kline)
		return true
	})
	return list
}

// RestoreSnapshot replaces the world with a snapshot TakeSnapshot made:
// call it before Run, on a world made by New for the same log (its
// Outboxes are none: every client of the snapshot is remote). It
// returns the sequence number the snapshot covers; the log goes on from
// the event after it.
func (w *World) RestoreSnapshot(data []byte) (uint64, error) {
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, fmt.Errorf("state: snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return 0, fmt.Errorf("state: snapshot version %d, this chatd reads %d", s.Version, snapshotVersion)
	}
	if s.Config != nil {
		w.Config = s.Config
	}
	w.seq, w.now = s.Seq, s.Now
	w.Started = s.Started
	k := s.Counters
	w.maxUsers, w.batchCount, w.guests, w.timers, w.contSeq = k.MaxUsers, k.BatchCount, k.Guests, k.Timers, k.ContSeq

	w.clients = make(map[ClientID]*Client, len(s.Clients))
	w.nicks = make(map[string]*Client, len(s.Clients))
	w.users = newUserIndex()
	w.watchers = make(map[string]map[*Client]struct{})
	w.byAccount = make(map[string]map[*Client]struct{})
	w.nodeUsers = make(map[string]int)
	w.unregistered, w.opers, w.invisible = 0, 0, 0
	for _, sc := range s.Clients {
		c := restoreClient(sc)
		w.clients[c.ID] = c
		if c.Nick != "" {
			w.nicks[c.folded] = c
		}
		if c.Registered {
			w.users.ReplaceOrInsert(c)
			if c.Node != "" {
				w.nodeUsers[c.Node]++
			}
		} else {
			w.unregistered++
		}
		w.countModes(c, +1)
		w.indexAccount(c, c.Account)
		for _, nick := range sc.Monitor {
			w.Monitor(c, nick)
		}
	}

	w.channels = make(map[string]*Channel, len(s.Channels))
	w.chanIndex = newChannelIndex()
	for _, sch := range s.Channels {
		ch := &Channel{
			Name: sch.Name, Created: sch.Created, Topic: sch.Topic, TopicSetBy: sch.TopicSetBy, TopicSetAt: sch.TopicSetAt,
			Modes: sch.Modes, Key: sch.Key, Limit: sch.Limit, Bans: sch.Bans, Reg: sch.Reg,
			Excepts: sch.Excepts, InviteExcepts: sch.InvExcepts, history: sch.History.ring(),
			NoReplay: sch.NoReplay, RenamedAt: sch.RenamedAt,
			members: make(map[*Client]*Membership, len(sch.Members)),
			folded:  Fold(sch.Name),
			byNick:  newMemberIndex(),
		}
		if ch.Reg != nil && ch.Reg.Access == nil {
			ch.Reg.Access = map[string]string{}
		}
		w.channels[ch.folded] = ch
		w.chanIndex.ReplaceOrInsert(ch)
		for _, sm := range sch.Members {
			c := w.clients[sm.Client]
			if c == nil {
				return 0, fmt.Errorf("state: snapshot: %s has member %d, who is not a client", ch.Name, sm.Client)
			}
			m := &Membership{Op: sm.Op, Voice: sm.Voice}
			ch.members[c] = m
			c.channels[ch] = m
			if c.Registered {
				ch.byNick.ReplaceOrInsert(c)
			}
		}
		for _, inv := range sch.Invites {
			if c := w.clients[inv.Client]; c != nil {
				if ch.invites == nil {
					ch.invites = make(map[*Client]time.Time)
				}
				if c.invitedTo == nil {
					c.invitedTo = make(map[*Channel]struct{})
				}
				ch.invites[c] = inv.Expires
				c.invitedTo[ch] = struct{}{}
			}
		}
	}

	w.whowas = whowasRing{entries: make([]WhowasEntry, s.Whowas.Size), next: s.Whowas.Next, full: s.Whowas.Full}
	for i, e := range s.Whowas.Entries {
		if i < len(w.whowas.entries) {
			if e.Nick != "" {
				e.folded = Fold(e.Nick)
			}
			w.whowas.entries[i] = e
		}
	}

	w.klines = klineSet{}
	w.klines.init()
	for _, kl := range s.Klines {
		w.klines.put(kl)
	}

	clear(w.accounts)
	clear(w.certs)
	for _, a := range s.Accounts {
		w.AddAccount(a)
	}
	clear(w.pending)
	for _, name := range s.Reserved {
		w.pending[name] = true
	}
	w.nodes = make(map[string]*Node, len(s.Nodes))
	for _, n := range s.Nodes {
		node := n
		w.nodes[n.Name] = &node
	}
	store := w.history.store
	w.history = historyState{
		lastOrd: s.History.LastOrd, kept: s.History.Kept, store: store,
		stored: s.History.Stored, storedMsg: s.History.StoredMsg, sessions: s.History.Sessions,
		markers: s.History.Markers, sessionMarkers: s.History.SessionMarkers,
	}
	w.history.indexMarkers()
	for account, box := range s.History.Mail {
		if w.history.mail == nil {
			w.history.mail = map[string]*mailbox{}
		}
		by := box.BySender
		if by == nil {
			by = map[string]int{}
		}
		w.history.mail[account] = &mailbox{total: box.Total, bySender: by}
	}
	for key, r := range s.History.Private {
		if w.history.private == nil {
			w.history.private = map[string]*historyRing{}
		}
		w.history.private[key] = r.ring()
	}
	w.Services = nil
	w.restoredServices = s.Services
	return s.Seq, nil
}

// RestoredServices hands package commands, once, the state of World.Services
// that a snapshot held (nil if none).
func (w *World) RestoredServices() []byte {
	data := w.restoredServices
	w.restoredServices = nil
	return data
}

func restoreClient(sc snapClient) *Client {
	c := &Client{
		ID: sc.ID, Out: remoteOutbox{}, Addr: sc.Addr, TLS: sc.TLS, Node: sc.Node, remote: true,
		Nick: sc.Nick, User: sc.User, Realname: sc.Realname, Host: sc.Host, Away: sc.Away, Modes: sc.Modes,
		Registered: sc.Registered, PassOK: sc.PassOK, CapVersion: sc.CapVersion, CapHeld: sc.CapHeld, Caps: sc.Caps,
		SignedOn: sc.SignedOn, LastActive: sc.LastActive, Account: sc.Account, CertFP: sc.CertFP,
		Auth: AuthState{
			ViaSASL: sc.Auth.ViaSASL, Pass: sc.Auth.Pass, Busy: sc.Auth.Busy, NickTimer: sc.Auth.NickTimer,
		},
		channels: make(map[*Channel]*Membership),
		folded:   Fold(sc.Nick),
		stepsRun: sc.StepsRun,
		Batch:    sc.Batch,
	}
	if sc.Nick == "" {
		c.folded = ""
	}
	if sc.Auth.SASLMech != "" {
		c.Auth.SASL = &SASLExchange{Mech: sc.Auth.SASLMech, Buf: sc.Auth.SASLBuf, Step: sc.Auth.SASLStep, User: sc.Auth.SASLUser}
	}
	return c
}
