package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Custom commands follow REHASH: a changed reply is answered with the new
// text, a removed command becomes unknown, an added one works, and a
// config whose [[command]] takes a built-in verb is refused with its line
// and changes nothing.
func TestRehashCustomCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.toml")
	command := func(name, reply string) string {
		return "[[command]]\nname = " + tomlString(name) + "\nreply = " + tomlString(reply)
	}
	writeFile(t, path, opConfigText("motd", []string{"127.0.0.1:0"}, command("RULES", "Be kind."), command("OLD", "going")))
	d, _ := startOpDaemon(t, path)
	alice := opRegister(t, d.addrs()[0].String(), "alice")
	opOper(t, alice, "alice")
	alice.send("RULES")
	alice.expect("RULES", isLine(":chatd.test NOTICE alice :Be kind."))

	writeFile(t, path, opConfigText("motd", []string{"127.0.0.1:0"}, command("RULES", "Be kinder."), command("NEW", "hello")))
	alice.send("REHASH")
	alice.expect("382", func(l string) bool { return strings.Contains(l, " 382 alice ") })
	alice.send("RULES")
	alice.expect("the new RULES", isLine(":chatd.test NOTICE alice :Be kinder."))
	alice.send("NEW")
	alice.expect("NEW", isLine(":chatd.test NOTICE alice :hello"))
	alice.send("OLD")
	alice.expect("421 for OLD", isLine(":chatd.test 421 alice OLD :Unknown command"))

	writeFile(t, path, opConfigText("motd", []string{"127.0.0.1:0"}, command("RULES", "changed"), command("privmsg", "x")))
	alice.send("REHASH")
	l := alice.expect("FAIL REHASH", func(l string) bool { return strings.Contains(l, "FAIL REHASH CONFIG_INVALID") })
	if !strings.Contains(l, "command[1].name: PRIVMSG is a built-in command") || !strings.Contains(l, "line ") {
		t.Errorf("REHASH failure %q does not name the line and the clash", l)
	}
	alice.send("RULES")
	alice.expect("RULES unchanged", isLine(":chatd.test NOTICE alice :Be kinder."))
}

// Custom commands are lines like any other, so flood control paces them:
// 20 ASKs at once with burst 5 and 10 a second all arrive, in order, and
// take at least the 1.5 s the other 15 tokens need.
func TestFloodPacesCustomCommands(t *testing.T) {
	d := startHostileDaemon(t, nil, append([]string{"[[command]]", `name = "ASK"`, `send_to = "#lobby"`}, floodTOML...))
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	var batch strings.Builder
	for i := range 20 {
		fmt.Fprintf(&batch, "ASK question %02d\r\n", i)
	}
	start := time.Now()
	alice.write([]byte(batch.String()))
	for i := range 20 {
		bob.expect(fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :question %02d", i))
	}
	if elapsed := time.Since(start); elapsed < 1400*time.Millisecond {
		t.Errorf("20 ASKs with burst 5 at 10/s were all handled within %v; want at least 1.5s of pacing", elapsed)
	}
	for i := range 20 { // alice is in #lobby, so she has GC's copy of each
		alice.expect(fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :question %02d", i))
	}
	alice.syncQuiet()
	bob.syncQuiet()
}
