package state

// What each field of the world's types is, for snapshots (and so for a
// cluster's restarts) and for World.Dump. A field is one of:
//
//	snap       kept in a snapshot (state/snapshot.go says where)
//	derived    rebuilt from snapshot fields when one is restored
//	transient  only set while a client waits (a request, a hold, a
//	           continuation); empty whenever a snapshot can be taken
//	           (World.Quiescent), so never in one, yet part of the state
//	           that replays must agree on
//	local      the node's own: connections, caches, scratch marks,
//	           tuning; neither in a snapshot nor compared
//
// Adding a field to one of these types means adding it here (and, for
// snap, to the snapshot): TestSnapshotFields fails for a field missing
// from this table, and the replay tests fail for a snap field the
// snapshot does not restore.
var fieldKinds = map[string]fieldKind{
	"World.Config":            snap,
	"World.Log":               local,
	"World.Started":           snap,
	"World.Services":          snap, // through ServiceState
	"World.PasswordCost":      local,
	"World.PasswordFailDelay": local,
	"World.dispatch":          local,
	"World.inbox":             local,
	"World.mode":              local,
	"World.log":               local,
	"World.recorder":          local,
	"World.seq":               snap,
	"World.conts":             transient,
	"World.contSeq":           snap,
	"World.nodes":             snap,
	"World.nodeUsers":         derived,
	"World.restoredServices":  snap,
	"World.clients":           snap,
	"World.nicks":             derived,
	"World.channels":          snap,
	"World.users":             derived,
	"World.chanIndex":         derived,
	"World.whowas":            snap,
	"World.watchers":          derived,
	"World.byAccount":         derived,
	"World.unregistered":      derived,
	"World.maxUsers":          snap,
	"World.opers":             derived,
	"World.invisible":         derived,
	"World.serverPrefix":      local, // a cache of Config
	"World.replies":           local, // a cache of Config
	"World.touched":           local,
	"World.epoch":             local, // ForNeighbours' scratch mark
	"World.batchCount":        snap,
	"World.cur":               transient,
	"World.observe":           local,
	"World.laterMu":           local,
	"World.later":             local,
	"World.wake":              local,
	"World.doomed":            transient,
	"World.stopping":          local,
	"World.stopped":           local,
	"World.clock":             local,
	"World.now":               snap,
	"World.klines":            snap,
	"World.klineStore":        local,
	"World.reloader":          local,
	"World.store":             local,
	"World.accounts":          snap,
	"World.certs":             derived,
	"World.pending":           snap,
	"World.guests":            snap,
	"World.timers":            snap,
	"World.localTimers":       local, // this node's running timers; a snapshot waits for none (Quiescent)
	"World.history":           snap,

	"historyState.lastOrd":        snap,
	"historyState.kept":           snap,
	"historyState.store":          local,
	"historyState.private":        snap,
	"historyState.stored":         snap,
	"historyState.storedMsg":      snap,
	"historyState.pending":        local, // rows on their way to this node's store
	"historyState.dropped":        local,
	"historyState.sessions":       snap,
	"historyState.mail":           snap,
	"historyState.markers":        snap,
	"historyState.sessionMarkers": snap,
	"historyState.markedBy":       derived, // from markers and sessionMarkers

	"mailbox.total":    snap,
	"mailbox.bySender": snap,

	"historyRing.items":      snap, // through snapRing: the entries oldest first
	"historyRing.capacity":   snap,
	"historyRing.start":      derived,
	"historyRing.n":          derived,
	"historyRing.floor":      snap,
	"historyRing.msgFloor":   snap, // through snapRing.MsgBelow
	"historyRing.memoryOnly": snap,

	"HistoryEntry.Ord":     snap,
	"HistoryEntry.Kind":    snap,
	"HistoryEntry.Bot":     snap,
	"HistoryEntry.Account": snap,
	"HistoryEntry.Msg":     snap,
	"HistoryEntry.Tags":    snap,
	"HistoryEntry.From":    snap,
	"HistoryEntry.Lines":   snap,

	"ClientBatch.Ref":    snap,
	"ClientBatch.Target": snap,
	"ClientBatch.Verb":   snap,
	"ClientBatch.Lines":  snap,
	"ClientBatch.Bytes":  snap,
	"ClientBatch.Tags":   snap,
	"ClientBatch.Label":  snap,
	"ClientBatch.Timer":  snap,
	"ClientBatch.Dead":   snap,
	"BatchLine.Text":     snap,
	"BatchLine.Concat":   snap,

	"Client.ID":         snap,
	"Client.Out":        local,
	"Client.Addr":       snap,
	"Client.TLS":        snap,
	"Client.Nick":       snap,
	"Client.User":       snap,
	"Client.Realname":   snap,
	"Client.Host":       snap,
	"Client.Away":       snap,
	"Client.Modes":      snap,
	"Client.Registered": snap,
	"Client.PassOK":     snap,
	"Client.CapVersion": snap,
	"Client.CapHeld":    snap,
	"Client.Caps":       snap,
	"Client.SignedOn":   snap,
	"Client.LastActive": snap,
	"Client.Account":    snap,
	"Client.CertFP":     snap,
	"Client.Auth":       snap,
	"Client.Node":       snap,
	"Client.Batch":      snap,    // an open one keeps the world from being Quiescent (its timer); a dead one is kept
	"Client.channels":   derived, // from the channels' members
	"Client.folded":     derived,
	"Client.gone":       transient, // a gone client is out of the world by the end of its event
	"Client.sendFail":   local,
	"Client.seen":       local,
	"Client.touched":    local,
	"Client.invitedTo":  derived, // from the channels' invites
	"Client.monitor":    snap,
	"Client.remote":     local,
	"Client.held":       transient,
	"Client.reheld":     transient,
	"Client.resuming":   transient,
	"Client.heldEvents": transient,
	"Client.heldLines":  transient,
	"Client.req":        transient,
	"Client.stepsRun":   snap,

	"AuthState.SASL":      snap,
	"AuthState.ViaSASL":   snap,
	"AuthState.Pass":      snap,
	"AuthState.Busy":      snap,
	"AuthState.NickTimer": snap,
	"SASLExchange.Mech":   snap,
	"SASLExchange.Buf":    snap,
	"SASLExchange.Step":   snap,
	"SASLExchange.User":   snap,
	"SASLExchange.Conv":   local,

	"Channel.Name":          snap,
	"Channel.Created":       snap,
	"Channel.Topic":         snap,
	"Channel.TopicSetBy":    snap,
	"Channel.TopicSetAt":    snap,
	"Channel.Modes":         snap,
	"Channel.Key":           snap,
	"Channel.Limit":         snap,
	"Channel.Bans":          snap,
	"Channel.Excepts":       snap,
	"Channel.InviteExcepts": snap,
	"Channel.invites":       snap,
	"Channel.Reg":           snap,
	"Channel.members":       snap,
	"Channel.folded":        derived,
	"Channel.byNick":        derived,
	"Channel.history":       snap,
	"Channel.NoReplay":      snap,
	"Channel.RenamedAt":     snap,

	"Membership.Op":    snap,
	"Membership.Voice": snap,

	"ListEntry.Mask":  snap,
	"ListEntry.SetBy": snap,
	"ListEntry.SetAt": snap,

	"ChannelReg.Owner":      snap,
	"ChannelReg.Access":     snap,
	"ChannelReg.Registered": snap,

	"Account.Name":         snap,
	"Account.Email":        snap,
	"Account.PasswordHash": snap,
	"Account.Scram":        snap,
	"Account.Certs":        snap,
	"Account.Created":      snap,

	"ScramCredentials.Salt":      snap,
	"ScramCredentials.Iters":     snap,
	"ScramCredentials.StoredKey": snap,
	"ScramCredentials.ServerKey": snap,

	"WhowasEntry.Nick":     snap,
	"WhowasEntry.User":     snap,
	"WhowasEntry.Host":     snap,
	"WhowasEntry.Realname": snap,
	"WhowasEntry.Server":   snap,
	"WhowasEntry.Left":     snap,
	"WhowasEntry.folded":   derived,

	"whowasRing.entries": snap,
	"whowasRing.next":    snap,
	"whowasRing.full":    snap,

	"monitorList.nicks":  snap,
	"monitorList.folded": derived,

	"klineSet.tree":  snap,
	"klineSet.byKey": derived,
	"klineSet.index": derived,

	"Node.Name":     snap,
	"Node.Epoch":    snap,
	"Node.Started":  snap,
	"Node.LastTick": snap,
	"Node.Info":     snap,
	"Node.Slot":     snap,
	"Node.Next":     snap,
	"Node.early":    transient, // must be empty for a snapshot (Quiescent)

	"request.open":     transient,
	"request.label":    transient,
	"request.first":    transient,
	"request.batch":    transient,
	"request.lines":    transient,
	"request.bytes":    transient,
	"request.batches":  transient,
	"request.answered": transient,
	"request.steps":    transient,
	"request.pushed":   transient,
}

type fieldKind uint8

const (
	snap fieldKind = iota + 1
	derived
	transient
	local
)

// fieldTypes are the types whose every field must be in fieldKinds.
var fieldTypes = []any{
	World{}, Client{}, AuthState{}, SASLExchange{}, Channel{}, Membership{}, ListEntry{},
	ChannelReg{}, Account{}, ScramCredentials{}, WhowasEntry{}, whowasRing{}, monitorList{},
	klineSet{}, Node{}, request{}, historyState{}, historyRing{}, HistoryEntry{}, mailbox{},
	ClientBatch{}, BatchLine{},
}
