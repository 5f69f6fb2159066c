package cluster

import (
	"encoding/json"
	"fmt"

	"chatd/state"
)

// envelope is one event as the stream stores it: who published it (node,
// the boot that published it, the life it belongs to and its place in
// that life) and the event itself, JSON-encoded under its type's name.
type envelope struct {
	Node  string          `json:"n"`
	Boot  string          `json:"b,omitempty"`
	Epoch uint64          `json:"e,omitempty"`
	LSeq  uint64          `json:"l,omitempty"`
	Type  string          `json:"t"`
	Data  json.RawMessage `json:"d,omitempty"`
}

// eventTypes names every event type the log carries. A new event type
// must be added here (TestCodecCoversEvents checks the world's list).
var eventTypes = map[string]func() state.Event{
	"connect":  func() state.Event { return &state.Connect{} },
	"line":     func() state.Event { return &state.Line{} },
	"badline":  func() state.Event { return &state.BadLine{} },
	"gone":     func() state.Event { return &state.Gone{} },
	"result":   func() state.Event { return &state.Result{} },
	"step":     func() state.Event { return &state.Step{} },
	"config":   func() state.Event { return &state.ConfigChange{} },
	"store":    func() state.Event { return &state.StoreChange{} },
	"nodeup":   func() state.Event { return &state.NodeUp{} },
	"tick":     func() state.Event { return &state.Tick{} },
	"nodedown": func() state.Event { return &state.NodeDown{} },
	"seed":     func() state.Event { return &state.Seed{} },
}

func typeName(ev state.Event) (string, error) {
	switch ev.(type) {
	case state.Connect:
		return "connect", nil
	case state.Line:
		return "line", nil
	case state.BadLine:
		return "badline", nil
	case state.Gone:
		return "gone", nil
	case state.Result:
		return "result", nil
	case state.Step:
		return "step", nil
	case state.ConfigChange:
		return "config", nil
	case state.StoreChange:
		return "store", nil
	case state.NodeUp:
		return "nodeup", nil
	case state.Tick:
		return "tick", nil
	case state.NodeDown:
		return "nodedown", nil
	case state.Seed:
		return "seed", nil
	}
	return "", fmt.Errorf("cluster: no encoding for event %T", ev)
}

// encode renders an event in its envelope (Connect.Out is node-local and
// not encoded).
func encode(env envelope, ev state.Event) ([]byte, error) {
	t, err := typeName(ev)
	if err != nil {
		return nil, err
	}
	env.Type = t
	if _, empty := ev.(state.Tick); !empty {
		if env.Data, err = json.Marshal(ev); err != nil {
			return nil, fmt.Errorf("cluster: encoding %s: %w", t, err)
		}
	}
	return json.Marshal(env)
}

// decode reads what encode wrote.
func decode(data []byte) (envelope, state.Event, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return env, nil, fmt.Errorf("cluster: decoding an event: %w", err)
	}
	make, ok := eventTypes[env.Type]
	if !ok {
		return env, nil, fmt.Errorf("cluster: unknown event type %q (a newer chatd on another node?)", env.Type)
	}
	p := make()
	if len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, p); err != nil {
			return env, nil, fmt.Errorf("cluster: decoding %s: %w", env.Type, err)
		}
	}
	return env, deref(p), nil
}

// deref turns the pointer decode filled into the event value.
func deref(p state.Event) state.Event {
	switch p := p.(type) {
	case *state.Connect:
		return *p
	case *state.Line:
		return *p
	case *state.BadLine:
		return *p
	case *state.Gone:
		return *p
	case *state.Result:
		return *p
	case *state.Step:
		return *p
	case *state.ConfigChange:
		return *p
	case *state.StoreChange:
		return *p
	case *state.NodeUp:
		return *p
	case *state.Tick:
		return *p
	case *state.NodeDown:
		return *p
	case *state.Seed:
		return *p
	}
	return p
}
