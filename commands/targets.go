package commands

import (
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// Target limits per command: what TARGMAX advertises, and what targets()
// enforces. A limit bounds the work one line can ask for; a repeated
// target is collapsed (casemapping-aware) before it is counted, so
// "NAMES #a,#a,#a" is one target, not three.
const (
	maxMsgTargets    = 4  // PRIVMSG, NOTICE, TAGMSG, PM, GC (MAXTARGETS)
	maxQueryTargets  = 10 // NAMES, LIST, WHOWAS
	maxKickTargets   = 10 // nicks one KICK removes
	minJoinTargets   = 50 // JOIN and PART (see joinTargetLimit)
	maxUserhostNicks = 5  // USERHOST (RFC 2812)
)

// joinTargetLimit caps the channels of one JOIN or PART: at least
// minJoinTargets, so that a JOIN past CHANLIMIT still gets a 405 for each
// channel too many, and as many as a client may be in (CHANLIMIT), so a
// client can rejoin all its channels in one line.
func joinTargetLimit(w *state.World) int {
	return max(minJoinTargets, w.Config.Limits.MaxChannelsPerClient)
}

// targmax is RPL_ISUPPORT's TARGMAX: every command that takes a list,
// with the limit targets() applies to it.
func targmax(w *state.World) string {
	n := strconv.Itoa
	join := n(joinTargetLimit(w))
	return "TARGMAX=JOIN:" + join + ",KICK:" + n(maxKickTargets) + ",LIST:" + n(maxQueryTargets) +
		",NAMES:" + n(maxQueryTargets) + ",NOTICE:" + n(maxMsgTargets) + ",PART:" + join +
		",PRIVMSG:" + n(maxMsgTargets) + ",TAGMSG:" + n(maxMsgTargets) + ",USERHOST:" + n(maxUserhostNicks) +
		",WHOIS:1,WHOWAS:" + n(maxQueryTargets)
}

// targets splits a comma-separated list of targets, drops empty entries and
// repeats (the first spelling is kept), and keeps at most max. When the
// list was longer, the first target left out is returned as over, for the
// 407 that says so; the ones before it are still handled.
func targets(list string, max int) (out []string, over string) {
	all := splitList(list)
	seen := make(map[string]struct{}, len(all))
	out = all[:0]
	for _, t := range all {
		key := state.Fold(t)
		if _, dup := seen[key]; dup {
			continue
		}
		if len(out) == max {
			return out, t
		}
		seen[key] = struct{}{}
		out = append(out, t)
	}
	return out, ""
}

// tooManyTargets is the 407 for a list cut at max: the first target left
// out is named, as hybrid and charybdis do (RFC 2812 5.2).
func tooManyTargets(over string, max int) error {
	return numeric(irc.ERR_TOOMANYTARGETS, over, "Too many targets. Only "+strconv.Itoa(max)+" processed")
}
