package state

import "chatd/conf"

// Reloader re-reads the config file for REHASH. It is supplied by the
// daemon, which also reloads on SIGHUP.
type Reloader interface {
	// ConfigPath names the config file, for RPL_REHASHING.
	ConfigPath() string
	// Prepare reads and validates the file and puts its node-local part
	// in force (listeners, TLS certificate, limits of the network side);
	// it returns the config for the world to take (ConfigChange), or why
	// nothing changed. It blocks: it is called off the state goroutine
	// (World.Offload), on the node the operator is connected to.
	Prepare() (*conf.Config, error)
}

// ChangeConfig puts cfg in force as an event of the log (SIGHUP). It may
// be called from any goroutine but the state goroutine.
func (w *World) ChangeConfig(cfg *conf.Config) bool {
	return w.enter(ConfigChange{Config: cfg})
}

// SetReloader sets what REHASH uses. Call it before Run.
func (w *World) SetReloader(r Reloader) { w.reloader = r }

// Reloader returns what REHASH uses; nil when the config cannot be re-read.
func (w *World) Reloader() Reloader { return w.reloader }

// ApplyConfig puts a new, validated config in force. Everything read from
// w.Config at the time of use (MOTD, limits, opers, default modes, lobby,
// password) follows at once; WHOWAS is resized, keeping the newest
// entries. Existing channels keep their modes.
//
// On a cluster node only the world keys change (conf.WithWorldKeys): the
// config may come from another node, whose own keys (listeners, files)
// are not this node's.
func (w *World) ApplyConfig(cfg *conf.Config) {
	if w.mode == Clustered {
		cfg = conf.WithWorldKeys(w.Config, cfg)
	}
	if n := cfg.Limits.WhowasLength; n != len(w.whowas.entries) {
		w.whowas = w.whowas.resized(n)
	}
	if cfg.History.Enabled != w.Config.History.Enabled {
		w.dropHistoryRings()
	} else if cfg.History.Enabled {
		w.resizeHistory(cfg.History.ChannelLength, cfg.History.PrivateLength)
	}
	w.Config = cfg
}

// resizeHistory gives every history ring its new capacity, when it
// changed, keeping the newest entries.
func (w *World) resizeHistory(channel, private int) {
	old := w.Config.History
	if channel != old.ChannelLength {
		for _, ch := range w.channels {
			if ch.history != nil {
				ch.history.resize(channel)
			}
		}
	}
	if private != old.PrivateLength {
		for _, r := range w.history.private {
			r.resize(private)
		}
	}
}

// resized returns a ring of size n holding the newest entries of r.
func (r *whowasRing) resized(n int) whowasRing {
	out := newWhowasRing(n)
	size := len(r.entries)
	filled := r.next
	if r.full {
		filled = size
	}
	for i := min(filled, n); i >= 1; i-- { // oldest kept first
		out.add(r.entries[(r.next-i+size)%size])
	}
	return out
}
