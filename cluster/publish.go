package cluster

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publisher puts the node's events in the stream, asynchronously, with a
// window of publishes in flight. Every message has a Nats-Msg-Id (node,
// life and the event's place in it), so that a publish retried after a
// timeout or a lost acknowledgement is stored once. A retry may be stored
// after events published later: the worlds apply a node's events in the
// order of their place, not of the stream (state/node.go).
type publisher struct {
	n       *Node
	mu      sync.Mutex
	queue   []outgoing
	wake    chan struct{}
	flight  chan inflight
	closing chan struct{}
	drained chan struct{}
}

type outgoing struct {
	id   string
	data []byte
}

type inflight struct {
	msg outgoing
	fut jetstream.PubAckFuture
}

func newPublisher(n *Node) *publisher {
	return &publisher{
		n: n, wake: make(chan struct{}, 1), flight: make(chan inflight, 4096),
		closing: make(chan struct{}), drained: make(chan struct{}),
	}
}

// enqueue adds a message; it never blocks.
func (p *publisher) enqueue(id string, data []byte) {
	p.mu.Lock()
	p.queue = append(p.queue, outgoing{id: id, data: data})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run sends what is queued and, on another goroutine, waits for the
// acknowledgements, sending again what was not stored.
func (p *publisher) run() {
	defer p.n.done.Done()
	acks := make(chan struct{})
	go p.acks(acks)
	defer func() { close(p.flight); <-acks }()
	for {
		p.mu.Lock()
		batch := p.queue
		p.queue = nil
		p.mu.Unlock()
		for _, m := range batch {
			p.send(m)
		}
		select {
		case <-p.wake:
		case <-p.closing:
			p.mu.Lock()
			left := p.queue
			p.queue = nil
			p.mu.Unlock()
			for _, m := range left {
				p.send(m)
			}
			return
		}
	}
}

// send publishes m, waiting while the window is full.
func (p *publisher) send(m outgoing) {
	msg := nats.NewMsg(p.n.subject)
	msg.Data = m.data
	msg.Header.Set(jetstream.MsgIDHeader, m.id)
	for {
		fut, err := p.n.js.PublishMsgAsync(msg)
		if err == nil {
			p.flight <- inflight{msg: m, fut: fut}
			return
		}
		select {
		case <-p.n.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// acks waits for each publish's outcome, in order, and queues again
// those that failed (after a pause, so that a NATS server being replaced
// is not hammered).
func (p *publisher) acks(done chan struct{}) {
	defer close(done)
	for f := range p.flight {
		select {
		case <-f.fut.Ok():
		case err := <-f.fut.Err():
			p.n.log.Debug("publish failed; retrying", "id", f.msg.id, "err", err)
			select {
			case <-p.n.stop:
				continue
			case <-time.After(50 * time.Millisecond):
			}
			p.enqueue(f.msg.id, f.msg.data)
		case <-p.n.stop:
		}
	}
}

// close sends what is queued and waits at most wait for the stream to
// acknowledge what is in flight.
func (p *publisher) close(wait time.Duration) {
	select {
	case <-p.n.js.PublishAsyncComplete():
	case <-time.After(wait):
	}
	close(p.closing)
}
