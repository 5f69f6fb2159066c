// Package state owns all of chatd's chat state: clients, nicknames
// (casemapped), channels, membership, modes, topics and the WHOWAS history.
//
// Exactly one goroutine, the one running World.Run, reads or writes that
// state. Everything else reaches it by submitting events: the network side
// (package ircd) submits connections, parsed lines and disconnections, and
// anything that only needs to look (tests, statistics) submits a function
// with Call. The state goroutine never does socket I/O: it hands encoded
// lines to each client's Outbox, which must never block.
package state
