// Package cluster makes chatd nodes one network: every node publishes the
// events of its own clients (connections, lines, disconnections, the
// outcomes of their slow work, the next slices of their replies) to one
// NATS JetStream stream, and every node applies the whole stream, in its
// order, to its own state.World, so that every node holds the same world
// and delivers to its own sockets. It owns the node's NATS connection,
// the stream, the snapshots in JetStream's object store, the node's
// heartbeat (Tick events in the log) and its life (epochs).
//
// Concurrency: Open is called before the world runs, Join once it runs,
// Leave and Close when the daemon stops. The state.EventLog methods
// (Publish, Marker) may be called from any goroutine, the state goroutine
// included, and never block it for long: events wait in a queue that one
// publisher goroutine drains. One consumer goroutine hands the stream's
// events to the world (World.Apply) in order; another goroutine ticks,
// watches that the node's own ticks come back, and takes snapshots.
package cluster
