package state

import "gopkg.in/irc.v4"

// Mode says where a world's log is and which of its clients are local.
type Mode uint8

const (
	// Standalone is a single server: the inbox is the log, every client
	// is local, slow work runs here and comes back through the inbox.
	Standalone Mode = iota
	// Replica replays a log recorded elsewhere (tests, tools): no client
	// is local, and every outcome of slow work, store write or next slice
	// comes from the log.
	Replica
	// Clustered is a node of a cluster: the log is a stream every node
	// applies (EventLog); the node's own clients are local, the store is a
	// projection of the log, and a write counts as done once its event is
	// in the log.
	Clustered
)

// EventLog is a cluster node's way into the shared log. Every method may
// be called from any goroutine, the state goroutine included, and none
// may block the state goroutine for long.
type EventLog interface {
	// Publish appends ev to the log; every node, this one included, will
	// apply it (World.Apply). It reports false when the node cannot reach
	// the log (nothing is published: the caller refuses or gives up).
	Publish(ev Event) bool
	// Marker runs fn on the state goroutine once the lines this node has
	// published for client id so far have been applied here (see
	// World.Marker); false when fn will never run.
	Marker(id ClientID, fn func()) bool
}

// SetMode sets the world's mode, and for Clustered the log it publishes
// to. Call it before Run.
func (w *World) SetMode(m Mode, log EventLog) {
	w.mode = m
	w.log = log
}

// Mode is the world's mode.
func (w *World) Mode() Mode { return w.mode }

// Local reports whether c's connection is on this node.
func (c *Client) Local() bool { return !c.remote }

// dropOverflowed removes a client whose send queue overflowed. The
// overflow was seen on its own node only, so on a cluster it goes through
// the log like any other disconnection; on a single server it is applied
// at once (and recorded, like every event).
func (w *World) dropOverflowed(c *Client) {
	ev := Gone{ID: c.ID, Reason: "SendQ exceeded", Force: true}
	if w.log != nil {
		w.log.Publish(ev)
		return
	}
	w.apply(ev)
}

// remoteOutbox is the Outbox of a client whose connection is on another
// node: what is sent to it is dropped here (its own node delivers it).
type remoteOutbox struct{}

func (remoteOutbox) Enqueue([]byte) bool     { return true }
func (remoteOutbox) Flush()                  {}
func (remoteOutbox) Close()                  {}
func (remoteOutbox) Registered()             {}
func (remoteOutbox) SetFloodExempt(bool)     {}
func (remoteOutbox) Queued() int             { return 0 }
func (remoteOutbox) WhenDrained(int, func()) {}
func (remoteOutbox) Congested() bool         { return false }
func (remoteOutbox) WaitFor(Outbox)          {}

// ServerOf is the name of the server c is connected to: this server's,
// or on a cluster the name of c's node.
func (w *World) ServerOf(c *Client) string {
	if c.Node == "" {
		return w.Config.Server.Name
	}
	return c.Node
}

// CloseLocal sends this node's own clients ERROR with reason and closes
// their connections, without changing the world: a cluster node that
// lost the log stops serving, and the log will say that they quit (their
// node's life ends). Node-local; call it through Post or Call.
func (w *World) CloseLocal(reason string) {
	line := w.encodeOrLog(&irc.Message{Command: "ERROR", Params: []string{"Closing Link: " + reason}})
	for _, c := range w.clients {
		if !c.remote && !c.gone {
			c.Out.Enqueue(line)
			c.Out.Close()
		}
	}
}
