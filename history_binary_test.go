package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// History through the real binary and its store file: what a graceful
// shutdown keeps, what a kill -9 may lose (at most the last commit
// interval, README §History), and messages kept for an offline account
// and read markers across a restart.

// historyClient registers nick with the caps history tests use.
func historyClient(t *testing.T, addr, nick string) *rawClient {
	t.Helper()
	c := dialRaw(t, addr)
	c.send("CAP REQ :batch server-time echo-message message-tags draft/chathistory")
	c.send("CAP END")
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick)
	c.expect("welcome", hasNumeric("001"))
	return c
}

// readHistory asks for a target's latest n messages and returns their
// texts, oldest first.
func readHistory(c *rawClient, target string, n int) []string {
	c.send(fmt.Sprintf("CHATHISTORY LATEST %s * %d", target, n))
	c.expect("batch start", func(l string) bool { return strings.Contains(l, " BATCH +") })
	var texts []string
	for {
		l := c.expect("a line of the batch", func(string) bool { return true })
		if strings.Contains(l, " BATCH -") {
			return texts
		}
		if i := strings.Index(l, " PRIVMSG "+target+" :"); i >= 0 {
			texts = append(texts, l[i+len(" PRIVMSG "+target+" :"):])
		}
	}
}

func TestBinaryHistorySurvivesRestart(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)
	alice := historyClient(t, p.addr, "alice")
	alice.send("JOIN #keep")
	alice.expect("NAMES", hasNumeric("366"))
	for i := range 50 {
		alice.send(fmt.Sprintf("PRIVMSG #keep :message %d", i))
	}
	alice.send("PING :sent")
	alice.expect("PONG", func(l string) bool { return strings.Contains(l, "PONG") && strings.HasSuffix(l, "sent") })
	// bob has an account and is away; alice writes to him.
	bob := dialRaw(t, p.addr)
	bob.send("NICK bob")
	bob.send("USER bob 0 * :bob")
	bob.expect("welcome", hasNumeric("001"))
	bob.send("REGISTER bob * password123")
	bob.expect("REGISTER SUCCESS", func(l string) bool { return strings.Contains(l, "REGISTER SUCCESS") })
	bob.send("MARKREAD #keep timestamp=2020-01-02T03:04:05.678Z")
	bob.expect("MARKREAD", func(l string) bool { return strings.Contains(l, " MARKREAD #keep timestamp=") })
	bob.send("QUIT")
	bob.expectClosed()
	alice.send("PRIVMSG bob :while you were out")
	alice.expect("301", hasNumeric("301")) // said once it was saved

	if code := p.signalAndWait(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("chatd exited %d on SIGTERM", code)
	}
	p = startChatd(t, "-config", cfg)
	alice = historyClient(t, p.addr, "alice")
	alice.send("JOIN #keep")
	alice.expect("NAMES", hasNumeric("366"))
	got := readHistory(alice, "#keep", 100)
	if len(got) != 50 || got[0] != "message 0" || got[49] != "message 49" {
		t.Fatalf("after a graceful restart #keep has %d messages (%q ... ): want all 50", len(got), got)
	}
	// bob logs in with a plain client and is given alice's message.
	bob = loginRaw(t, p.addr, "bob", "bob", "password123")
	l := bob.expect("the kept message", func(l string) bool { return strings.Contains(l, "while you were out") })
	if !strings.HasPrefix(l, ":alice!alice@") || !strings.Contains(l, " PRIVMSG bob :[") {
		t.Fatalf("kept message delivered as %q", l)
	}
	// and finds his read marker where he left it.
	bob.send("MARKREAD #keep")
	bob.expect("the marker", func(l string) bool { return strings.HasSuffix(l, " MARKREAD #keep timestamp=2020-01-02T03:04:05.678Z") })
}

// After kill -9 at most the last commit interval is lost: every message
// whose echo came back more than a second before the kill is there.
func TestBinaryHistoryKill9(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`, `[history]`, `chathistory_max = 1000`)
	p := startChatd(t, "-config", cfg)
	alice := historyClient(t, p.addr, "alice")
	alice.send("JOIN #k")
	alice.expect("NAMES", hasNumeric("366"))
	echoed := map[string]time.Time{}
	start := time.Now()
	for i := 0; time.Since(start) < 2*time.Second; i++ {
		text := fmt.Sprintf("m%d", i)
		alice.send("PRIVMSG #k :" + text)
		alice.expect("echo", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #k :"+text) })
		echoed[text] = time.Now()
		time.Sleep(10 * time.Millisecond) // a steady sender, not a flood
	}
	killedAt := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	p = startChatd(t, "-config", cfg)
	reader := historyClient(t, p.addr, "reader")
	reader.send("JOIN #k")
	reader.expect("NAMES", hasNumeric("366"))
	kept := map[string]bool{}
	for _, text := range readHistory(reader, "#k", 1000) {
		kept[text] = true
	}
	var lostWindow time.Duration
	for text, at := range echoed {
		if kept[text] {
			continue
		}
		if w := killedAt.Sub(at); w > lostWindow {
			lostWindow = w
		}
	}
	t.Logf("%d messages echoed, %d kept after kill -9; the oldest lost one was echoed %v before the kill", len(echoed), len(kept), lostWindow)
	if lostWindow > time.Second {
		t.Fatalf("a message echoed %v before kill -9 was lost: more than the 1 s promised", lostWindow)
	}
	if len(kept) == 0 {
		t.Fatal("nothing kept at all")
	}
}

// A REDACT that was answered is kept through kill -9: the deleted
// messages do not come back, the others are all there (messages sent
// just before, still waiting for their batch's commit, included: the
// store commits them before the deletion).
func TestBinaryRedactionSurvivesKill9(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)
	alice := historyClient(t, p.addr, "alice")
	alice.send("CAP REQ draft/message-redaction")
	alice.expect("ACK", func(l string) bool {
		return strings.Contains(l, " ACK ") && strings.HasSuffix(l, "draft/message-redaction")
	})
	alice.send("JOIN #r")
	alice.expect("NAMES", hasNumeric("366"))
	msgids := map[string]string{}
	for i := range 20 {
		text := fmt.Sprintf("m%d", i)
		alice.send("PRIVMSG #r :" + text)
		l := alice.expect("echo", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #r :"+text) })
		msgids[text] = tagValue(l, "msgid")
	}
	// The first (committed long ago, or not) and the last five (surely
	// still waiting for their commit).
	gone := []string{"m0", "m15", "m16", "m17", "m18", "m19"}
	var slowest time.Duration
	for _, text := range gone {
		sent := time.Now()
		alice.send("REDACT #r " + msgids[text])
		alice.expect("the REDACT's echo", func(l string) bool { return strings.HasSuffix(l, " REDACT #r "+msgids[text]) })
		slowest = max(slowest, time.Since(sent))
	}
	// Each answer waits for a commit of the file (an fsync).
	t.Logf("%d REDACTs answered, the slowest after %v", len(gone), slowest)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	p = startChatd(t, "-config", cfg)
	reader := historyClient(t, p.addr, "reader")
	reader.send("JOIN #r")
	reader.expect("NAMES", hasNumeric("366"))
	got := strings.Join(readHistory(reader, "#r", 100), " ")
	if want := "m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14"; got != want {
		t.Fatalf("after REDACT and kill -9, #r holds %q; want %q", got, want)
	}
}

// tagValue is the value of tag key on line l ("" without it).
func tagValue(l, key string) string {
	if !strings.HasPrefix(l, "@") {
		return ""
	}
	tags, _, _ := strings.Cut(l[1:], " ")
	for _, kv := range strings.Split(tags, ";") {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}
