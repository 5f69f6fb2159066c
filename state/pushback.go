package state

// Push-back on fast senders. A client whose line makes the state goroutine
// queue lines for a recipient that is past its soft mark (Outbox.Congested)
// stops being read until that recipient has drained (Outbox.WaitFor). The
// state goroutine only sets the mark: the sender's reader does the waiting,
// TCP pushes back on the sender, and nothing that was accepted is lost. A
// recipient that stays congested without draining is dropped by its
// connection (SendQ exceeded), which lets its waiting senders go.

// pushBack makes the client whose line is being handled wait for c, when c
// is congested. Lines caused by no client (a server notice, the QUIT of a
// connection that dropped) push back on nobody.
func (w *World) pushBack(c *Client) {
	if s := w.cur; s != nil && s != c && c.Out.Congested() {
		s.Out.WaitFor(c.Out)
	}
}
