package state

// A handler that has to wait for work done off the state goroutine (OPER's
// bcrypt check, World.Offload) holds its client: the client's later lines
// wait, in order, until the result is applied and the client released, so
// a client that sends OPER and then an operator command gets them handled
// in that order. Other clients are not affected.

// maxHeldEvents bounds what a held client may have waiting; beyond it the
// client is dropped as if it flooded.
const maxHeldEvents = 256

// Hold makes c's next lines wait until Release. Every Hold must be followed
// by a Release (normally by Resume, in the continuation of Offload), unless
// c leaves.
func (w *World) Hold(c *Client) { c.held, c.reheld = true, true }

// Resume runs fn as the rest of the handling of the line that held c: the
// replies fn sends c belong to that line (they carry its label), and then
// c is released. It is for the continuation of a handler's slow work
// (Offload, After, Persist); nothing happens if c has left meanwhile. fn
// may Hold c again for a further piece of slow work (a store read, then
// a write): the request then goes on, its label kept, until the Resume
// of that work.
//
// A Resume inside fn (slow work that was done at once: a store write on
// a cluster node, or without a store) runs its own fn as part of this
// one, which then ends the request.
func (w *World) Resume(c *Client, fn func()) {
	if c.gone {
		return
	}
	if c.resuming {
		c.reheld = false
		fn()
		return
	}
	w.cur = c
	c.reheld = false
	func() {
		c.resuming = true
		defer func() { c.resuming = false }()
		fn()
	}()
	if c.gone {
		w.cur = nil
		return
	}
	if c.reheld {
		c.reheld = false
		w.cur = nil
		return
	}
	pending := w.Pending(c)
	w.endEvent(c)
	if !pending {
		w.Release(c)
	}
}

// Release lets c's lines through again, first closing the request that
// held it and then handling the lines that waited. One of them may hold c
// again; the rest then keep waiting.
func (w *World) Release(c *Client) {
	if c.req.open && len(c.req.steps) == 0 {
		w.finishRequest(c)
	}
	c.held = false
	for len(c.heldEvents) > 0 && !c.held && !c.gone {
		ev := c.heldEvents[0]
		c.heldEvents[0] = nil
		c.heldEvents = c.heldEvents[1:]
		if _, mark := ev.(markEvent); !mark {
			c.heldLines--
		}
		w.handle(ev)
	}
	if c.gone {
		dropHeld(c)
	}
	if len(c.heldEvents) == 0 {
		c.heldEvents = nil
	}
}

// dropHeld forgets c's held events, running the markers among them: their
// readers must not wait for lines that will never be handled.
func dropHeld(c *Client) {
	for _, ev := range c.heldEvents {
		if m, ok := ev.(markEvent); ok {
			m.fn()
		}
	}
	c.heldEvents = nil
	c.heldLines = 0
}

// hangingUp reports whether c's connection has ended while c was held.
func (c *Client) hangingUp() bool {
	for _, ev := range c.heldEvents {
		if _, gone := ev.(Gone); gone {
			return true
		}
	}
	return false
}

// holdBack queues ev for a held client and reports whether it did.
func (w *World) holdBack(c *Client, ev event) bool {
	if !c.held {
		return false
	}
	if _, gone := ev.(Gone); gone && len(c.req.steps) > 0 {
		// Nobody is left to read the rest of a long reply: drop it, and
		// handle what the client sent before it hung up, then its Gone.
		c.req.steps = nil
		c.heldEvents = append(c.heldEvents, ev)
		w.Release(c)
		return true
	}
	_, gone := ev.(Gone)
	_, mark := ev.(markEvent)
	if !gone && !mark && c.heldLines >= maxHeldEvents {
		c.held = false
		dropHeld(c)
		w.Quit(c, "Excess Flood")
		return true
	}
	if !mark {
		// Markers are the node's own (one client's reader), so they do
		// not count: every node must decide the flood alike.
		c.heldLines++
	}
	c.heldEvents = append(c.heldEvents, ev)
	return true
}

// Post queues fn to run on the state goroutine and returns at once; fn
// should check Client.Gone for clients it captured, as they may have left
// meanwhile. Post reports false, and fn never runs, once Run has
// returned. fn is node-local and not part of the log: it must not change
// the world (slow work that does comes back with Offload).
func (w *World) Post(fn func(*World)) bool {
	return w.submit(callEvent{fn: fn})
}
