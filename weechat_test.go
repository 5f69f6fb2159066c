package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// weechatNickDump is a WeeChat python script whose /chatddump <file>
// writes what WeeChat believes of #lobby's members, one "nick away=N
// account=A" line each, the nicklist's away state and account included.
const weechatNickDump = `import os
import weechat

weechat.register("chatddump", "chatd", "1.0", "MIT", "chatd test: dump #lobby's nicks", "", "")

def dump(data, buffer, args):
    lines = []
    nicks = weechat.infolist_get("irc_nick", "", "chatd,#lobby")
    while nicks and weechat.infolist_next(nicks):
        lines.append("%s away=%d account=%s" % (weechat.infolist_string(nicks, "name"),
            weechat.infolist_integer(nicks, "away"), weechat.infolist_string(nicks, "account")))
    if nicks:
        weechat.infolist_free(nicks)
    with open(args + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(args + ".tmp", args)
    return weechat.WEECHAT_RC_OK

weechat.hook_command("chatddump", "", "<file>", "", "", "dump", "")
`

// WeeChat (weechat-headless) against chatd, with the two features it
// uses to follow people: WHOX and MONITOR.
//   - Away state without away-notify (turned off here): WeeChat asks
//     "WHO #lobby %cuhsnfdar" on joining and marks the away in its
//     nicklist from the flags; the WHOX account field is the only way it
//     can learn bob's account, since bob was in the lobby first.
//   - /notify: WeeChat sends MONITOR + (chatd offers MONITOR=100), and
//     says at once when the nick connects and quits; with ISON it would
//     only notice at its next check, a minute later.
func TestWeechatWhoxAndMonitor(t *testing.T) {
	weechat := needWeechatPython(t)
	d, lobby := startTestDaemon(t, nil, nil)
	addr := d.addrs()[0].String()
	registerAccount(t, addr, "bob", "bobpassword")
	bob := dialRaw(t, addr)
	bob.send("PASS bob:bobpassword")
	bob.send("NICK bob")
	bob.send("USER bob 0 * :Bob")
	bob.expect("bob's lobby JOIN", func(l string) bool { return strings.HasPrefix(l, ":bob!") && strings.HasSuffix(l, " JOIN "+lobby) })
	bob.send("AWAY :lunch")
	bob.expect("306", hasNumeric("306"))

	dir := t.TempDir()
	dumper := filepath.Join(dir, "chatddump.py")
	writeFile(t, dumper, weechatNickDump)
	command := startWeechat(t, weechat, dir, []string{
		"/set logger.file.flush_delay 0",
		"/set irc.server_default.anti_flood_prio_high 0",
		"/set irc.server_default.anti_flood_prio_low 0",
		"/set irc.server_default.away_check 1",
		"/set irc.server_default.away_check_max_nicks 0",
		"/python load " + dumper,
		"/server add chatd " + strings.Replace(addr, ":", "/", 1) + " -notls -nicks=carol -username=carol -realname=Carol",
		`/set irc.server.chatd.capabilities "*,!away-notify"`,
		"/connect chatd",
	}, func() {
		bob.expect("WeeChat's lobby JOIN", func(l string) bool { return strings.HasPrefix(l, ":carol!") && strings.HasSuffix(l, " JOIN "+lobby) })
	})

	// WHOX: WeeChat's nicklist has bob away, with his account.
	dump := filepath.Join(dir, "nicks.txt")
	want := "bob away=1 account=bob\n"
	deadline := time.Now().Add(binTimeout)
	for {
		command("chatddump " + dump)
		got, _ := os.ReadFile(dump)
		if strings.Contains(string(got), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("WeeChat's nicklist has no %q after %v; it has:\n%s", want, binTimeout, got)
		}
		time.Sleep(50 * time.Millisecond) // WeeChat answers the WHOX when the reply comes
	}

	// MONITOR: dave is offline, connects, quits.
	server := readFile(filepath.Join(dir, "logs", "irc.server.chatd.weechatlog"))
	command("notify add dave chatd")
	pollFor(t, "WeeChat's server buffer", server, "notify: dave is offline")
	dave := dialRaw(t, addr)
	dave.send("NICK dave")
	dave.send("USER dave 0 * :Dave")
	dave.expect("welcome", hasNumeric("001"))
	pollFor(t, "WeeChat's server buffer", server, "notify: dave (dave@127.0.0.1) has connected")
	dave.send("QUIT :bye")
	dave.expectClosed()
	pollFor(t, "WeeChat's server buffer", server, "notify: dave has quit")
}
