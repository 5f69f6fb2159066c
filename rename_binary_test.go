package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// A renamed registered group across a restart of the real binary: its
// record (owner, topic, modes, access) is under the new name, the owner
// gets op there, the old name is an ordinary free name, and CHATHISTORY
// of the new name has what was said before the rename, under the new
// name, read from the store file.
func TestBinaryRenamedGroupSurvivesRestart(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)
	teacher := historyClient(t, p.addr, "teacher")
	teacher.send("REGISTER * * password123")
	teacher.expect("900", hasNumeric("900"))
	teacher.send("JOIN #class")
	teacher.expect("NAMES", hasNumeric("366"))
	teacher.send("CS REGISTER #class")
	teacher.expect("registered", func(l string) bool { return strings.Contains(l, "#class is now registered to teacher") })
	teacher.send("TOPIC #class :Homework due Friday")
	teacher.send("MODE #class +b spam!*@*")
	for i := range 5 {
		teacher.send(fmt.Sprintf("PRIVMSG #class :before %d", i))
	}
	teacher.send("RENAME #class #room :a better name")
	teacher.expect("the fallback JOIN", func(l string) bool { return strings.HasSuffix(l, " JOIN #room") })
	teacher.send("PRIVMSG #room :after")
	teacher.send("PING :done")
	teacher.expect("PONG", func(l string) bool { return strings.Contains(l, "PONG") && strings.HasSuffix(l, "done") })
	if code := p.signalAndWait(syscall.SIGTERM, binTimeout); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}

	p = startChatd(t, "-config", cfg)
	s := historyClient(t, p.addr, "someone")
	s.send("LIST #room,#class")
	if l := s.expect("322", func(l string) bool { return field(l, 1) == "322" || field(l, 1) == "323" }); !strings.HasSuffix(l, "#room 0 :Homework due Friday") {
		t.Errorf("LIST after restart: %s", l)
	}
	s.expect("323 (no #class)", hasNumeric("323"))
	s.send("CS INFO #room")
	s.expect("owner", func(l string) bool { return strings.Contains(l, "#room is registered to teacher") })
	s.send("MODE #room b")
	if l := s.expect("367", func(l string) bool { return field(l, 1) == "367" || field(l, 1) == "368" }); !strings.Contains(l, "#room spam!*@*") {
		t.Errorf("bans after restart: %s", l)
	}
	// The old name is free: whoever joins it makes a new channel.
	s.send("JOIN #class")
	if l := s.expect("NAMES", func(l string) bool { return field(l, 1) == "353" }); !strings.HasSuffix(l, "#class :@someone") {
		t.Errorf("JOIN of the old name: %s", l)
	}

	owner := loginRaw(t, p.addr, "teacher", "teacher", "password123")
	owner.send("CAP REQ :batch server-time draft/chathistory")
	owner.send("JOIN #room")
	if l := owner.expect("NAMES", func(l string) bool { return field(l, 1) == "353" && field(l, 4) == "#room" }); !strings.Contains(l, "@teacher") {
		t.Errorf("the owner did not get op after the restart: %s", l)
	}
	got := readHistory(owner, "#room", 100)
	if strings.Join(got, "|") != "before 0|before 1|before 2|before 3|before 4|after" {
		t.Errorf("#room's history after the restart: %q", got)
	}
}

// A group renamed just before kill -9 keeps its record and its history
// under the same name: the rename's write moves the rows in its own
// transaction. The history is committed under the old name first (a
// REDACT waits for that commit), and the kill comes once a write queued
// after the rename's has committed (CS REGISTER answers then), well
// within the history flush interval: before the rows moved with the
// record, the group came back as #room with no history and whoever
// joined #class read it.
func TestBinaryRenameKill9KeepsHistoryWithGroup(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)
	teacher := historyClient(t, p.addr, "teacher")
	teacher.send("CAP REQ draft/message-redaction")
	teacher.expect("ACK", func(l string) bool {
		return strings.Contains(l, " ACK ") && strings.HasSuffix(l, "draft/message-redaction")
	})
	teacher.send("REGISTER * * password123")
	teacher.expect("900", hasNumeric("900"))
	teacher.send("JOIN #class")
	teacher.expect("NAMES", hasNumeric("366"))
	teacher.send("CS REGISTER #class")
	teacher.expect("registered", func(l string) bool { return strings.Contains(l, "#class is now registered to teacher") })
	var oops string
	for i := range 5 {
		text := fmt.Sprintf("before %d", i)
		teacher.send("PRIVMSG #class :" + text)
		l := teacher.expect("echo", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #class :"+text) })
		if i == 4 {
			oops = tagValue(l, "msgid")
		}
	}
	teacher.send("REDACT #class " + oops)
	teacher.expect("the REDACT's echo", func(l string) bool { return strings.HasSuffix(l, " REDACT #class "+oops) })
	teacher.send("RENAME #class #room :a better name")
	teacher.expect("the fallback JOIN", func(l string) bool { return strings.HasSuffix(l, " JOIN #room") })
	teacher.send("PRIVMSG #room :after")
	teacher.send("JOIN #other")
	teacher.expect("NAMES", func(l string) bool { return field(l, 1) == "366" && field(l, 3) == "#other" })
	teacher.send("CS REGISTER #other")
	teacher.expect("registered", func(l string) bool { return strings.Contains(l, "#other is now registered to teacher") })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited

	p = startChatd(t, "-config", cfg)
	s := historyClient(t, p.addr, "someone")
	s.send("CS INFO #room")
	s.expect("owner", func(l string) bool { return strings.Contains(l, "#room is registered to teacher") })
	s.send("JOIN #class")
	s.expect("NAMES", func(l string) bool { return field(l, 1) == "366" && field(l, 3) == "#class" })
	if got := readHistory(s, "#class", 100); len(got) != 0 {
		t.Errorf("a new #class reads the group's history after kill -9: %q", got)
	}
	owner := loginRaw(t, p.addr, "teacher", "teacher", "password123")
	owner.send("CAP REQ :batch server-time draft/chathistory")
	owner.send("JOIN #room")
	owner.expect("NAMES", func(l string) bool { return field(l, 1) == "366" && field(l, 3) == "#room" })
	got := strings.Join(readHistory(owner, "#room", 100), "|")
	if !strings.HasPrefix(got, "before 0|before 1|before 2|before 3") || strings.Contains(got, "before 4") {
		t.Errorf("#room's history after kill -9: %q", got)
	}
}
