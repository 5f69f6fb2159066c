package main

import (
	"strings"
	"testing"
)

// TestHostileLabeledRefusals: a line refused before it could be parsed
// (not UTF-8, a NUL or CR, too many parameters, a body over 512 bytes) is
// still a labeled command when its tag section can be read, and
// labeled-response says the reply to a labeled command carries its label.
// A tag section that cannot be read (over the tag limit, not UTF-8) gives
// the refusal unlabeled, as does a client without labeled-response.
func TestHostileLabeledRefusals(t *testing.T) {
	d := startHostileDaemon(t, nil, nil)
	alice := hdial(t, d.addr, "alice")
	alice.send("CAP REQ :labeled-response batch")
	alice.expect(":chatd.test CAP * ACK :labeled-response batch")
	alice.send("CAP END")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	const invalid = "FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network"
	alice.send("@label=u1 PRIVMSG #lobby :latin1 caf\xe9")
	alice.expect("@label=u1 :chatd.test " + invalid)
	alice.send("@label=n1 PRIVMSG #lobby :nul\x00here")
	alice.expect("@label=n1 :chatd.test 400 alice PRIVMSG :Line contains a NUL byte")
	alice.send("@label=c1 PRIVMSG #lobby :one\rtwo")
	alice.expect("@label=c1 :chatd.test 400 alice PRIVMSG :Line contains a CR byte")
	alice.send("@label=p1 FOO " + strings.Repeat("p ", 16))
	alice.expect("@label=p1 :chatd.test 400 alice FOO :Too many parameters")
	alice.send("@label=l1 PRIVMSG #lobby :" + strings.Repeat("x", 600))
	alice.expect("@label=l1 :chatd.test 417 alice :Input line was too long")
	// A label among other tags, escaped as tag values are.
	alice.send("@+draft/react=x;label=a\\sb PRIVMSG #lobby :caf\xe9")
	alice.expect("@label=a\\sb :chatd.test " + invalid)

	// Tags that cannot be read give the refusal without a label.
	alice.send("@label=t1;+big=" + strings.Repeat("t", 4100) + " PING :x")
	alice.expect(":chatd.test 417 alice :Input line was too long")
	alice.send("@label=caf\xe9 PRIVMSG #lobby :x")
	alice.expect(":chatd.test " + invalid)
	alice.syncQuiet()

	// Without labeled-response the label is not echoed.
	bob.send("@label=b1 PRIVMSG #lobby :caf\xe9")
	bob.expect(":chatd.test " + invalid)
	bob.syncQuiet()
	alice.syncQuiet()
}
