// Package commands holds one handler per IRC verb (and per course command:
// PM, CG, JG, LG, GC, LISTG, GROUPS, ONLINE, HELP), the table that
// dispatches to them, and the builders for replies and numerics.
//
// Every handler runs on the state goroutine, called through the
// state.Dispatch returned by New. A handler validates its parameters,
// changes the world, and queues replies; a refusal is returned as a
// *replyError, which the dispatcher sends as the numeric it names.
package commands
