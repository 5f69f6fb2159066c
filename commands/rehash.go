package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleRehash re-reads the config file: REHASH (operators). The reading
// and validating happen off the state goroutine, on the operator's node
// (state.Reloader, World.Offload), and the new config reaches the world
// as part of the log; once it is in force the operator gets 382, or, when
// the file is broken and nothing changed, FAIL REHASH CONFIG_INVALID with
// the error. The operator's later lines wait until then.
func handleRehash(w *state.World, c *state.Client, m *irc.Message) error {
	if err := requireOper(c); err != nil {
		return err
	}
	r := w.Reloader()
	if r == nil {
		return fail("REHASH", "CONFIG_INVALID", "There is no config file to re-read")
	}
	w.Log.Info("REHASH", "by", c.Nick, "path", r.ConfigPath())
	path := r.ConfigPath()
	w.Hold(c)
	w.Offload(c, func() []byte { return configResult(r.Prepare()) }, func(w *state.World, result []byte) {
		cfg, err := parseConfigResult(result)
		if err == nil {
			w.ApplyConfig(cfg)
		}
		w.Resume(c, func() {
			if err != nil {
				sendError(w, c, fail("REHASH", "CONFIG_INVALID", oneLine(err.Error(), 400)))
				return
			}
			w.Numeric(c, irc.RPL_REHASHING, path, "Rehashing")
		})
	})
	return nil
}

// configResult is a reload's outcome as the log carries it to every
// node: the new config, or why there is none.
func configResult(cfg *conf.Config, err error) []byte {
	var r struct {
		Config *conf.Config `json:"config,omitempty"`
		Err    string       `json:"err,omitempty"`
	}
	if err != nil {
		r.Err = err.Error()
	} else {
		r.Config = cfg
	}
	data, err := json.Marshal(r)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"err": "encoding the config: " + err.Error()})
	}
	return data
}

func parseConfigResult(result []byte) (*conf.Config, error) {
	if result == nil {
		return nil, errors.New("the node that read the config failed")
	}
	var r struct {
		Config *conf.Config `json:"config"`
		Err    string       `json:"err"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		return nil, fmt.Errorf("config result: %w", err)
	}
	if r.Err != "" || r.Config == nil {
		return nil, errors.New(r.Err)
	}
	return r.Config, nil
}

// oneLine joins a multi-line error with "; " and cuts it to max bytes, so
// it fits one IRC line.
func oneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
	return truncateUTF8(s, max)
}
