package state

import (
	"io"
	"log/slog"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

// batchWorld runs one line at a time through a handler the test supplies,
// for a client with batch and labeled-response.
type batchWorld struct {
	w       *World
	c       *Client
	out     *recordingOutbox
	handler func(w *World, c *Client)
}

func newBatchWorld(t *testing.T) *batchWorld {
	t.Helper()
	bw := &batchWorld{out: &recordingOutbox{}}
	bw.w = New(conf.Default(), func(w *World, c *Client, m *irc.Message) { bw.handler(w, c) }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bw.w.handle(Connect{ID: 1, Out: bw.out, Addr: netip.MustParseAddr("127.0.0.1")})
	bw.c = bw.w.clients[1]
	bw.c.Caps = bw.c.Caps.With(CapBatch, true).With(CapLabeledResponse, true)
	bw.w.SetNick(bw.c, "me")
	return bw
}

// run handles line with fn as its handler and returns what was queued,
// batch references replaced by their order of appearance (r1, r2, ...).
func (bw *batchWorld) run(line string, fn func(w *World, c *Client)) []string {
	bw.out.lines = nil
	bw.handler = fn
	bw.w.handle(Line{ID: 1, Msg: irc.MustParseMessage(line)})
	refs := map[string]string{}
	ref := regexp.MustCompile(`(batch=|BATCH [+-])([0-9a-z]+)`)
	var got []string
	for _, l := range bw.out.lines {
		got = append(got, ref.ReplaceAllStringFunc(l[:len(l)-2], func(s string) string {
			m := ref.FindStringSubmatch(s)
			if refs[m[2]] == "" {
				refs[m[2]] = "r" + string(rune('0'+len(refs)+1))
			}
			return m[1] + refs[m[2]]
		}))
	}
	return got
}

func (bw *batchWorld) expect(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func notice(w *World, c *Client, text string) {
	w.ServerMessage(c, "NOTICE", c.Nick, text)
}

// A handler's batch on a labeled line nests inside the labeled-response
// batch; untagged replies go in the innermost open batch; a batch opened
// inside another is tagged with it; each ends tagged with its parent.
func TestHandlerBatchNestsInLabeledResponse(t *testing.T) {
	bw := newBatchWorld(t)
	got := bw.run("@label=L1 X", func(w *World, c *Client) {
		w.StartBatch(c, "example/outer", "#c")
		notice(w, c, "one")
		w.StartBatch(c, "example/inner")
		notice(w, c, "two")
		w.EndBatch(c)
		notice(w, c, "three")
		w.EndBatch(c)
	})
	bw.expect(t, got,
		"@label=L1 :chatd.local BATCH +r1 labeled-response",
		"@batch=r1 :chatd.local BATCH +r2 example/outer #c",
		"@batch=r2 :chatd.local NOTICE me :one",
		"@batch=r2 :chatd.local BATCH +r3 example/inner",
		"@batch=r3 :chatd.local NOTICE me :two",
		"@batch=r2 :chatd.local BATCH -r3",
		"@batch=r2 :chatd.local NOTICE me :three",
		"@batch=r1 :chatd.local BATCH -r2",
		":chatd.local BATCH -r1",
	)
}

// Unlabeled, a handler's batch stands alone.
func TestHandlerBatchUnlabeled(t *testing.T) {
	bw := newBatchWorld(t)
	got := bw.run("X", func(w *World, c *Client) {
		w.StartBatch(c, "example/list")
		notice(w, c, "one")
		w.EndBatch(c)
		notice(w, c, "after")
	})
	bw.expect(t, got,
		":chatd.local BATCH +r1 example/list",
		"@batch=r1 :chatd.local NOTICE me :one",
		":chatd.local BATCH -r1",
		":chatd.local NOTICE me :after",
	)
}

// A batch that is the whole reply carries the label on its start, and the
// line gets no ACK; lines that already carry a batch tag keep it.
func TestWholeReplyBatchCarriesTheLabel(t *testing.T) {
	bw := newBatchWorld(t)
	got := bw.run("@label=L2 X", func(w *World, c *Client) {
		ref := w.NewBatchRef()
		w.OpenBatch(c, ref, []byte(":me!u@h BATCH +"+ref+" draft/multiline #c\r\n"), true)
		w.Send(c, []byte("@batch="+ref+" :me!u@h PRIVMSG #c :hi\r\n"))
		notice(w, c, "untagged goes in the batch too")
		w.EndBatch(c)
	})
	bw.expect(t, got,
		"@label=L2 :me!u@h BATCH +r1 draft/multiline #c",
		"@batch=r1 :me!u@h PRIVMSG #c :hi",
		"@batch=r1 :chatd.local NOTICE me :untagged goes in the batch too",
		":chatd.local BATCH -r1",
	)
}

// A "whole" batch after another reply cannot carry the label: both go in
// a labeled-response batch.
func TestWholeBatchAfterAReplyIsNested(t *testing.T) {
	bw := newBatchWorld(t)
	got := bw.run("@label=L3 X", func(w *World, c *Client) {
		notice(w, c, "first")
		ref := w.NewBatchRef()
		w.OpenBatch(c, ref, []byte(":chatd.local BATCH +"+ref+" example/x\r\n"), true)
		w.EndBatch(c)
	})
	bw.expect(t, got,
		"@label=L3 :chatd.local BATCH +r1 labeled-response",
		"@batch=r1 :chatd.local NOTICE me :first",
		"@batch=r1 :chatd.local BATCH +r2 example/x",
		"@batch=r1 :chatd.local BATCH -r2",
		":chatd.local BATCH -r1",
	)
}

// Every batch started is ended: one a handler left open ends with the
// request.
func TestBatchLeftOpenEndsWithTheRequest(t *testing.T) {
	bw := newBatchWorld(t)
	got := bw.run("X", func(w *World, c *Client) {
		w.StartBatch(c, "example/a")
		w.StartBatch(c, "example/b")
	})
	bw.expect(t, got,
		":chatd.local BATCH +r1 example/a",
		"@batch=r1 :chatd.local BATCH +r2 example/b",
		"@batch=r1 :chatd.local BATCH -r2",
		":chatd.local BATCH -r1",
	)
}

// A deferred label gives its line no ACK and labels the later line's
// reply; Deliver bypasses the request, so a labeled line that only
// delivers gets an ACK.
func TestDeferLabelAndDeliver(t *testing.T) {
	bw := newBatchWorld(t)
	var label string
	bw.expect(t, bw.run("@label=L4 OPEN", func(w *World, c *Client) { label = w.DeferLabel(c) }))
	if label != "L4" {
		t.Fatalf("DeferLabel = %q", label)
	}
	bw.expect(t, bw.run("CLOSE", func(w *World, c *Client) {
		w.ApplyLabel(c, label)
		notice(w, c, "done")
	}), "@label=L4 :chatd.local NOTICE me :done")
	bw.expect(t, bw.run("@label=L5 SELF", func(w *World, c *Client) {
		w.Deliver(c, []byte(":me!u@h PRIVMSG me :hi\r\n"))
	}), ":me!u@h PRIVMSG me :hi", "@label=L5 :chatd.local ACK")
}

func TestHasBatchTag(t *testing.T) {
	for line, want := range map[string]bool{
		"@batch=a :x PRIVMSG y z\r\n":        true,
		"@time=1;batch=a :x PRIVMSG y z\r\n": true,
		"@batchx=a :x PRIVMSG y z\r\n":       false,
		"@a=batch=b :x PRIVMSG y z\r\n":      false,
		":x PRIVMSG y :@batch=a\r\n":         false,
		"@batch":                             false,
	} {
		if got := hasBatchTag([]byte(line)); got != want {
			t.Errorf("hasBatchTag(%q) = %v", line, got)
		}
	}
}

// A continuation may Hold its client again (a store read, then a write):
// the labeled request goes on until the second continuation's Resume;
// and a Resume inside a continuation (work done at once, as a store
// write on a cluster node) is part of it, and the request ends once.
func TestResumeHeldAgainAndNested(t *testing.T) {
	bw := newBatchWorld(t)
	var later func()
	bw.expect(t, bw.run("@label=a TEST", func(w *World, c *Client) {
		w.Hold(c)
		later = func() {
			w.Resume(c, func() {
				notice(w, c, "read")
				w.Hold(c)
				later = func() { w.Resume(c, func() { notice(w, c, "written") }) }
			})
		}
	}))
	bw.out.lines = nil
	later()
	if !bw.c.held || !bw.c.req.open {
		t.Fatal("held again by its continuation, the client was released")
	}
	later()
	if bw.c.held || bw.c.req.open {
		t.Fatal("the second continuation did not end the request")
	}
	if got := strings.Join(bw.out.lines, ""); got != "@label=a :chatd.local BATCH +1 labeled-response\r\n@batch=1 :chatd.local NOTICE me :read\r\n@batch=1 :chatd.local NOTICE me :written\r\n:chatd.local BATCH -1\r\n" {
		t.Fatalf("the two continuations answered %q", got)
	}

	bw.expect(t, bw.run("@label=b TEST", func(w *World, c *Client) {
		w.Hold(c)
		later = func() {
			w.Resume(c, func() {
				notice(w, c, "read")
				w.Hold(c)
				w.Resume(c, func() { notice(w, c, "written at once") })
			})
		}
	}))
	bw.out.lines = nil
	later()
	if bw.c.held || bw.c.req.open || bw.c.resuming {
		t.Fatal("the nested Resume left the client held")
	}
	if got := strings.Join(bw.out.lines, ""); got != "@label=b :chatd.local BATCH +2 labeled-response\r\n@batch=2 :chatd.local NOTICE me :read\r\n@batch=2 :chatd.local NOTICE me :written at once\r\n:chatd.local BATCH -2\r\n" {
		t.Fatalf("nested continuations answered %q", got)
	}
	bw.expect(t, bw.run("TEST", func(w *World, c *Client) { notice(w, c, "next") }), ":chatd.local NOTICE me :next")

	// A line that waited behind the request is handled when it ends, and
	// may leave the rest of its reply for later (Continue): the outer
	// Resume must leave that request alone, held for its next step.
	var second []func(w *World, c *Client)
	bw.run("@label=d TEST", func(w *World, c *Client) {
		if len(second) > 0 {
			next := second[0]
			second = second[1:]
			next(w, c)
			return
		}
		w.Hold(c)
		later = func() {
			w.Resume(c, func() {
				w.Hold(c)
				w.Resume(c, func() { notice(w, c, "done") })
			})
		}
	})
	second = append(second, func(w *World, c *Client) {
		w.Continue(c, func(w *World) { notice(w, c, "step") })
	})
	bw.w.handle(Line{ID: 1, Msg: irc.MustParseMessage("@label=e TEST")})
	later()
	if !bw.c.held || !bw.c.req.open || bw.c.req.label != "e" || len(bw.c.req.steps) != 1 {
		t.Fatalf("the next line's request, waiting for its next step, was ended or released (held %v, open %v, label %q, %d steps)", bw.c.held, bw.c.req.open, bw.c.req.label, len(bw.c.req.steps))
	}
}
