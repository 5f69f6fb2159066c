package web

import (
	"context"
	"errors"
	"sync"

	"chatd/state"
)

// WorldProbe answers /healthz: whether the state goroutine handles an
// event it is given. At most one probe event is in flight, however many
// requests ask, so a stuck world costs one waiting goroutine, not one
// per scrape.
type WorldProbe struct {
	world *state.World
	mu    sync.Mutex
	cur   *probe
}

type probe struct {
	done chan struct{}
	ok   bool
}

// NewWorldProbe probes w.
func NewWorldProbe(w *state.World) *WorldProbe { return &WorldProbe{world: w} }

// Check reports nil once the state goroutine has handled a probe event,
// an error if it has stopped or ctx ends first.
func (p *WorldProbe) Check(ctx context.Context) error {
	p.mu.Lock()
	pr := p.cur
	if pr == nil {
		pr = &probe{done: make(chan struct{})}
		p.cur = pr
		go func() {
			ok := p.world.Call(func(*state.World) {})
			p.mu.Lock()
			pr.ok = ok
			p.cur = nil
			p.mu.Unlock()
			close(pr.done)
		}()
	}
	p.mu.Unlock()
	select {
	case <-pr.done:
		if !pr.ok {
			return errors.New("the server is shutting down")
		}
		return nil
	case <-ctx.Done():
		return errors.New("the state goroutine did not answer in time")
	}
}
