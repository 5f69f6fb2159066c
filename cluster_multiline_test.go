package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestClusterMultiline: a multiline batch sent on one node is relayed on
// another, as one batch to a client with the capability and as lines to
// one without; a batch left open times out through the log (its timer's
// Result), the same on both nodes; the nodes' worlds agree field by field.
func TestClusterMultiline(t *testing.T) {
	ns := startNATS(t, "n1")
	nats := []string{ns.ClientURL()}
	ml := []string{"[multiline]", `timeout = "1s"`}
	a := startNode(t, "a.test", nats, ml...)
	b := startNode(t, "b.test", nats, ml...)

	alice := ircClient(t, nodeAddr(a), "alice", "batch", "draft/multiline")
	bob := ircClient(t, nodeAddr(b), "bob", "batch", "draft/multiline")
	carol := ircClient(t, nodeAddr(b), "carol")
	alice.expect("carol's JOIN", has(":carol!", "JOIN #lobby"))

	alice.send("BATCH +m draft/multiline #lobby")
	alice.send("@batch=m PRIVMSG #lobby :one ")
	alice.send("@batch=m;draft/multiline-concat PRIVMSG #lobby :line")
	alice.send("@batch=m PRIVMSG #lobby :two")
	alice.send("BATCH -m")
	start := bob.expect("the batch's start", has(":alice!", " BATCH +", " draft/multiline #lobby"))
	ref := strings.TrimPrefix(strings.Fields(start[strings.Index(start, " BATCH +"):])[1], "+")
	bob.expect("line one", has("batch="+ref, "PRIVMSG #lobby :one "))
	bob.expect("the concat line", has("batch="+ref, "draft/multiline-concat", "PRIVMSG #lobby :line"))
	bob.expect("line two", has("batch="+ref, "PRIVMSG #lobby :two"))
	bob.expect("the batch's end", has(" BATCH -"+ref))
	for _, text := range []string{"one ", "line", "two"} {
		carol.expect("fallback "+text, has(":alice!", "PRIVMSG #lobby :"+text))
	}

	alice.send("BATCH +slow draft/multiline #lobby")
	alice.send("@batch=slow PRIVMSG #lobby :never sent")
	alice.expect("the timeout", has("FAIL BATCH TIMEOUT slow"))
	alice.send("@batch=slow PRIVMSG #lobby :dropped")
	alice.send("BATCH -slow")
	alice.send("PRIVMSG #lobby :after")
	carol.expect("the line after", has(":alice!", "PRIVMSG #lobby :after"))
	for _, l := range carol.seen {
		if strings.Contains(l, "never sent") || strings.Contains(l, "dropped") {
			t.Fatalf("carol was sent a line of the batch that timed out: %q", l)
		}
	}

	for i, cl := range []*rawClient{alice, bob, carol} {
		syncClient(cl, fmt.Sprintf("end%d", i))
	}
	sameWorlds(t, a, b)
}
