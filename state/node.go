package state

import (
	"cmp"
	"slices"
	"time"
)

// Cluster membership, as every world learns it from the log: nodes
// announce themselves (NodeUp), tick every second (Tick), and leave
// (NodeDown) or fall silent. Every world decides a node is gone at the
// same place in the log, the first Tick or NodeUp after the node's last
// Tick is older than cluster.node_timeout, by the log's time; no other
// agreement is needed. A node's events carry its life (epoch: the
// sequence of its NodeUp) and their own sequence in that life, so that
// what an old life published is ignored once a new one starts, and a
// node's events are applied in the order it published them, each once,
// even if the log stored a retried publish after a later one.

// Node is one node of a cluster as the world knows it.
type Node struct {
	Name     string    `json:"name"`
	Epoch    uint64    `json:"epoch"`     // the sequence of the NodeUp that started its current life
	Slot     uint64    `json:"slot"`      // small number unique among live nodes; its client IDs start with it
	Started  time.Time `json:"started"`   // log time of that NodeUp
	LastTick time.Time `json:"last_tick"` // log time of its latest Tick
	Info     string    `json:"info,omitempty"`
	Next     uint64    `json:"next"` // the sequence in its life of the event it must publish next

	early map[uint64]Event // its events that came before one they follow
}

// NodeUp starts a node's life: every world adds the node (replacing an
// earlier life of it, whose clients quit). Its epoch is the event's own
// sequence number.
type NodeUp struct {
	Info string
}

// Tick says a node is alive.
type Tick struct{}

// NodeDown is a node leaving on purpose (shutting down).
type NodeDown struct {
	Reason string
}

// Seed puts what a single server kept in a new cluster's world (the
// first node's store and K-line file): accounts, registered groups,
// K-lines, where history's ords stand, messages waiting for offline
// accounts, read markers.
type Seed struct {
	Accounts     []Account
	Channels     []ChannelRecord
	Klines       []Kline
	HistoryFloor uint64
	Stored       map[string]uint64
	Offline      map[string]map[string]int
	Markers      map[string]map[string]time.Time
}

func (NodeUp) isEvent()   {}
func (Tick) isEvent()     {}
func (NodeDown) isEvent() {}
func (Seed) isEvent()     {}

// SlotBits is how many low bits of a cluster client's ID its node
// numbers its connections with; the node's slot is above them.
const SlotBits = 44

// Nodes lists the live nodes by name.
func (w *World) Nodes() []Node { return w.sortedNodes() }

// NodeInfo returns the live node called name.
func (w *World) NodeInfo(name string) (Node, bool) {
	if n := w.nodes[name]; n != nil {
		return *n, true
	}
	return Node{}, false
}

// sortedNodes lists the nodes by name.
func (w *World) sortedNodes() []Node {
	list := make([]Node, 0, len(w.nodes))
	for _, n := range w.nodes {
		c := *n
		c.early = nil
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b Node) int { return cmp.Compare(a.Name, b.Name) })
	return list
}

// fromNode applies an event a cluster node published.
func (w *World) fromNode(s Stamped) {
	if up, ok := s.Event.(NodeUp); ok {
		slot := uint64(0)
		if old := w.nodes[s.Node]; old != nil {
			slot = old.Slot // a new life keeps its slot: its clients' IDs do not change base
			w.nodeGone(old, w.splitReason(old.Name))
		}
		if slot == 0 {
			slot = w.freeSlot()
		}
		w.nodes[s.Node] = &Node{
			Name: s.Node, Epoch: s.Seq, Slot: slot, Started: w.now, LastTick: w.now, Info: up.Info, Next: 1,
		}
		w.checkNodes()
		return
	}
	n := w.nodes[s.Node]
	switch {
	case n == nil || n.Epoch != s.Epoch || s.LSeq < n.Next:
		return // an earlier life's, a gone node's, or one applied already
	case s.LSeq > n.Next:
		if n.early == nil {
			n.early = map[uint64]Event{}
		}
		n.early[s.LSeq] = s.Event // waits for the ones before it
		return
	}
	w.nodeEvent(n, s.Event)
	for w.nodes[n.Name] == n {
		ev, ok := n.early[n.Next]
		if !ok {
			break
		}
		delete(n.early, n.Next)
		w.nodeEvent(n, ev)
	}
}

// nodeEvent applies n's next event.
func (w *World) nodeEvent(n *Node, ev Event) {
	n.Next++
	switch ev := ev.(type) {
	case Tick:
		n.LastTick = w.now
		w.checkNodes()
	case NodeDown:
		w.nodeGone(n, ev.Reason)
	case Connect:
		ev.Node = n.Name
		w.handle(ev)
	case Seed:
		w.LoadAccounts(ev.Accounts)
		w.LoadChannels(ev.Channels)
		w.LoadKlines(ev.Klines)
		w.SetHistoryFloor(ev.HistoryFloor, ev.Stored)
		w.LoadOffline(ev.Offline)
		w.LoadReadMarkers(ev.Markers)
	default:
		w.handle(ev)
	}
}

// freeSlot is the smallest slot no live node has.
func (w *World) freeSlot() uint64 {
	used := map[uint64]bool{}
	for _, n := range w.nodes {
		used[n.Slot] = true
	}
	for slot := uint64(1); ; slot++ {
		if !used[slot] {
			return slot
		}
	}
}

// checkNodes removes the nodes not heard of for cluster.node_timeout.
func (w *World) checkNodes() {
	timeout := w.Config.Cluster.NodeTimeout.Duration
	if timeout <= 0 {
		return
	}
	for _, n := range w.sortedNodes() {
		if node := w.nodes[n.Name]; node != nil && w.now.Sub(node.LastTick) > timeout {
			w.Log.Warn("node lost", "node", n.Name, "silent_for", w.now.Sub(node.LastTick).String())
			w.nodeGone(node, w.splitReason(n.Name))
		}
	}
}

// splitReason is the QUIT reason of the clients of a lost node: the
// network's and the node's names, the form clients show as a netsplit.
func (w *World) splitReason(node string) string {
	return w.Config.Server.Name + " " + node
}

// nodeGone removes n and its clients, who quit with reason; the slow
// work they were waiting for will never come back.
func (w *World) nodeGone(n *Node, reason string) {
	delete(w.nodes, n.Name)
	var gone []*Client
	for _, c := range w.clients {
		if c.Node == n.Name {
			gone = append(gone, c)
		}
	}
	slices.SortFunc(gone, func(a, b *Client) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range gone {
		c.held = false
		dropHeld(c)
		w.Quit(c, reason)
	}
	w.loseWork(func(c *Client) bool { return c.Node == n.Name && c.gone })
	w.Log.Info("node gone", "node", n.Name, "clients", len(gone), "reason", reason)
}

// NodeClients counts the registered clients of the node called name
// ("" on a single server: all of them).
func (w *World) NodeClients(name string) int {
	if name == "" {
		return w.UserCount()
	}
	return w.nodeUsers[name]
}
