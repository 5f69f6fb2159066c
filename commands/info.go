package commands

import (
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

func handleMotd(w *state.World, c *state.Client, m *irc.Message) error {
	sendMOTD(w, c)
	return nil
}

func handleLusers(w *state.World, c *state.Client, m *irc.Message) error {
	sendLusers(w, c)
	return nil
}

func handleVersion(w *state.World, c *state.Client, m *irc.Message) error {
	w.Numeric(c, irc.RPL_VERSION, Version, w.Config.Server.Name, "chatd IRC server")
	sendISupport(w, c)
	return nil
}

func handleTime(w *state.World, c *state.Client, m *irc.Message) error {
	w.Numeric(c, irc.RPL_TIME, w.Config.Server.Name, time.Now().Format("Monday January 2 2006 -- 15:04:05 -07:00"))
	return nil
}
