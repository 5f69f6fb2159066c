package commands

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// K-lines ban nick!user@host masks from the server. They are checked when
// a client registers (klined, called from tryRegister), a new one
// disconnects matching users at once, and the world hands every change to
// the daemon's K-line file, so they survive a restart.

// handleKline: KLINE [<duration>] <mask> [:<reason>]. The duration is
// 30m, 1h, 1d, 2w, 90s, plain minutes, or Go's 1h30m; none or 0 (or
// "perm") is permanent. The mask is completed as a ban mask is
// (normalizeMask, commands/mask.go).
func handleKline(w *state.World, c *state.Client, m *irc.Message) error {
	if err := requireOper(c); err != nil {
		return err
	}
	params := m.Params
	var dur time.Duration
	if len(params) >= 2 {
		if d, ok := parseKlineDuration(params[0]); ok {
			dur, params = d, params[1:]
		}
	}
	mask, ok := normalizeMask(params[0])
	if !ok {
		return fail("KLINE", "INVALID_MASK", params[0], "Not a nick!user@host mask")
	}
	if maskMatches(mask, c) {
		return fail("KLINE", "WOULD_BAN_SELF", mask, "That mask matches you")
	}
	reason := "No reason given"
	if len(params) >= 2 && params[1] != "" {
		reason = truncateUTF8(params[1], w.Config.Limits.KickLength)
	}
	now := w.Now()
	k := state.Kline{Mask: mask, Reason: reason, SetBy: c.Nick, SetAt: now}
	if dur > 0 {
		k.Expires = now.Add(dur)
	}
	verb := "Added"
	if w.AddKline(k) {
		verb = "Updated"
	}
	w.Log.Warn("K-line set", "by", c.Nick, "mask", mask, "duration", klineDuration(k, now), "reason", reason)
	w.ServerMessage(c, "NOTICE", c.Nick, verb+" "+klineDuration(k, now)+" K-line for "+mask+" ("+reason+")")

	var victims []*state.Client
	for _, u := range w.Clients() {
		if u.Registered && maskMatches(mask, u) {
			victims = append(victims, u)
		}
	}
	sortClients(victims)
	for _, u := range victims {
		banClient(w, u, &k)
	}
	return nil
}

// handleUnkline: UNKLINE <mask>, written as for KLINE.
func handleUnkline(w *state.World, c *state.Client, m *irc.Message) error {
	if err := requireOper(c); err != nil {
		return err
	}
	mask, ok := normalizeMask(m.Params[0])
	if !ok {
		return fail("UNKLINE", "INVALID_MASK", m.Params[0], "Not a nick!user@host mask")
	}
	if _, ok := w.RemoveKline(mask); !ok {
		return fail("UNKLINE", "NO_SUCH_KLINE", mask, "There is no K-line for that mask")
	}
	w.Log.Warn("K-line removed", "by", c.Nick, "mask", mask)
	w.ServerMessage(c, "NOTICE", c.Nick, "Removed K-line for "+mask)
	return nil
}

// handleStats answers STATS k (K-lines, for operators):
// 216 <nick> K <mask> <expires, unix time or 0> <set by> :<reason>, then
// 219. Other letters get only 219.
func handleStats(w *state.World, c *state.Client, m *irc.Message) error {
	query := m.Params[0]
	if query == "" || query[0] == ':' || query[0] >= 0x80 {
		query = "*"
	}
	end := func() { w.Numeric(c, irc.RPL_ENDOFSTATS, query[:1], "End of /STATS report") }
	if query != "k" && query != "K" {
		end()
		return nil
	}
	if err := requireOper(c); err != nil {
		return err
	}
	sendKlines(w, c, end)
	return nil
}

// sendKlines sends a 216 per K-line, oldest first, then runs end. Thousands
// of K-lines come in slices, like any long reply (commands/slices.go),
// each going on after the last one sent.
func sendKlines(w *state.World, c *state.Client, end func()) {
	var from state.KlineCursor
	var step func(*state.World)
	step = func(*state.World) {
		work, stopped := 0, false
		w.EachKline(from, func(k *state.Kline, next state.KlineCursor) bool {
			if work >= workPerSlice || w.SliceFull(c) {
				stopped = true
				return false
			}
			from = next
			work++
			expires := "0"
			if !k.Expires.IsZero() {
				expires = strconv.FormatInt(k.Expires.Unix(), 10)
			}
			w.Numeric(c, irc.RPL_STATSKLINE, "K", k.Mask, expires, k.SetBy, k.Reason)
			return true
		})
		if stopped {
			w.Continue(c, step)
			return
		}
		end()
	}
	step(w)
}

// klined refuses a registering client that a K-line matches: 465, then
// ERROR and the connection closed. It reports whether it did; tryRegister
// calls it just before w.Register. Only the K-lines filed under the
// client's host or nick are tried (World.KlineCandidates), so the check
// stays cheap with thousands of them; the first match in mask order wins.
func klined(w *state.World, c *state.Client) bool {
	var hit *state.Kline
	w.KlineCandidates(c.Nick, c.Host, func(k *state.Kline) bool {
		if maskMatches(k.Mask, c) {
			hit = k
			return false
		}
		return true
	})
	if hit == nil {
		return false
	}
	banClient(w, c, hit)
	return true
}

// banClient tells c why it is banned and disconnects it.
func banClient(w *state.World, c *state.Client, k *state.Kline) {
	w.Log.Warn("K-lined", "id", c.ID, "who", c.Prefix(), "mask", k.Mask, "registered", c.Registered)
	w.Numeric(c, irc.ERR_YOUREBANNEDCREEP, "You are banned from this server ("+k.Reason+")")
	w.Quit(c, "K-lined")
}

// maskMatches reports whether c's nick!user@host matches mask (wildcards,
// rfc1459 casemapping).
func maskMatches(mask string, c *state.Client) bool {
	return wildcardMatch(state.Fold(mask), state.Fold(c.Prefix()))
}

// klineDurationRE matches 30m, 1h, 1d, 2w, 90s, or plain minutes.
var klineDurationRE = regexp.MustCompile(`^([0-9]{1,9})([smhdw]?)$`)

// maxKlineDuration caps temporary K-lines (longer is as good as permanent).
const maxKlineDuration = 100 * 365 * 24 * time.Hour

// parseKlineDuration reads KLINE's optional duration; 0 is permanent.
func parseKlineDuration(s string) (time.Duration, bool) {
	switch strings.ToLower(s) {
	case "perm", "permanent":
		return 0, true
	}
	var d time.Duration
	if m := klineDurationRE.FindStringSubmatch(strings.ToLower(s)); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"s": time.Second, "": time.Minute, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		if time.Duration(n) > maxKlineDuration/unit {
			return maxKlineDuration, true
		}
		d = time.Duration(n) * unit
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return 0, false
		}
	}
	return min(d, maxKlineDuration), true
}

// klineDuration describes a K-line's length for notices.
func klineDuration(k state.Kline, now time.Time) string {
	if k.Expires.IsZero() {
		return "permanent"
	}
	return k.Expires.Sub(now).Round(time.Second).String()
}
