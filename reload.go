package main

import (
	"errors"
	"fmt"

	"chatd/commands"
	"chatd/conf"
)

// Config reloads (REHASH, SIGHUP). The daemon is the world's
// state.Reloader: the file is read and validated on a goroutine of its
// own, the network side is reconfigured (listeners added and removed, TLS
// certificate re-read, limits), and only then is the new config handed to
// the state goroutine. A file that does not load, or a change that cannot
// be made, leaves everything as it was.

// ConfigPath is the file REHASH re-reads.
func (d *daemon) ConfigPath() string { return d.configPath }

// Reload re-reads the config file in the background (SIGHUP) and logs the
// outcome; the world takes the new config as an event of its log.
func (d *daemon) Reload() {
	go func() {
		cfg, err := d.Prepare()
		if err != nil {
			return
		}
		d.world.ChangeConfig(cfg)
		d.log.Info("config reloaded", "path", d.configPath)
	}()
}

// Prepare reads the file and puts the network side's part in force; the
// world's part follows as a ConfigChange. One reload at a time.
func (d *daemon) Prepare() (*conf.Config, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	cfg, err := d.prepareReload()
	if err != nil {
		d.log.Error("config reload failed; nothing changed", "path", d.configPath, "err", err)
		return nil, err
	}
	d.store.SetHistoryRetention(cfg.History.Retention.Duration)
	return cfg, nil
}

// prepareReload loads and validates the file and puts it in force on the
// network side.
func (d *daemon) prepareReload() (*conf.Config, error) {
	if d.configPath == "" {
		return nil, errors.New("there is no config file to re-read")
	}
	cfg, err := conf.Load(d.configPath, conf.ReservedCommands(commands.Verbs()))
	if err != nil {
		return nil, err
	}
	if old := d.srv.Config(); cfg.Server.Name != old.Server.Name {
		return nil, fmt.Errorf("conf: %s: server.name cannot change while chatd runs (%q, was %q); restart chatd for that", d.configPath, cfg.Server.Name, old.Server.Name)
	}
	webReload, err := d.web.Prepare(cfg)
	if err != nil {
		return nil, err
	}
	if err := d.srv.Reconfigure(cfg); err != nil {
		webReload.Abort()
		return nil, err
	}
	webReload.Commit()
	return cfg, nil
}
