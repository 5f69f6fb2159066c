// Package ircd owns the network side of chatd: listeners, and for each
// connection a reader goroutine (framing, the length limit, parsing,
// timeouts) and a writer goroutine that drains a bounded send queue.
//
// Nothing here reads or writes chat state. A reader submits what it parsed
// to the state goroutine (state.World) and the state goroutine answers by
// queueing encoded lines on the connection, which never blocks it.
package ircd
