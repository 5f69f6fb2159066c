package conf

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Cluster is the [cluster] table: several chatd nodes sharing one world
// through a NATS JetStream stream. With no nats URLs chatd is a single
// server.
type Cluster struct {
	NATS        []string `toml:"nats"`         // NATS URLs; [] = single node
	Node        string   `toml:"node"`         // this node's name, unique in the network; shown as its server name
	Stream      string   `toml:"stream"`       // JetStream stream and bucket prefix
	NodeTimeout Duration `toml:"node_timeout"` // a node not heard of for this long is gone
}

// Clustered reports whether the config makes this chatd a cluster node.
func (c *Config) Clustered() bool { return len(c.Cluster.NATS) > 0 }

func defaultCluster() Cluster {
	return Cluster{NATS: []string{}, Stream: "chatd", NodeTimeout: Duration{15 * time.Second}}
}

func (c *Config) validateCluster(ch *checker) {
	k := c.Cluster
	for i, u := range k.NATS {
		if u == "" || hasControl(u, true) {
			ch.add("cluster.nats", "entry %d must be a NATS URL such as nats://10.0.0.5:4222, got %q", i+1, u)
		}
	}
	if !validToken(k.Stream, 32) {
		ch.add("cluster.stream", "must be 1 to 32 letters, digits, '-' or '_', got %q", k.Stream)
	}
	if d := k.NodeTimeout.Duration; d < 2*time.Second || d > 5*time.Minute {
		ch.add("cluster.node_timeout", "must be between 2s and 5m, got %q", d.String())
	}
	if len(k.NATS) == 0 {
		return
	}
	switch {
	case k.Node == "":
		ch.addAt("cluster.node", "cluster.nats", "must be set when cluster.nats is: a name unique in the network, e.g. \"a.chat.example.org\"")
	case !validNodeName(k.Node):
		ch.add("cluster.node", "must be 1 to 63 letters, digits, '.', '-' or '_' (it is shown as a server name), got %q", k.Node)
	case strings.EqualFold(k.Node, c.Server.Name):
		ch.add("cluster.node", "must differ from server.name (%q), the name of the whole network", c.Server.Name)
	}
}

func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func validNodeName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Every node of a cluster applies the same events to the same world, so
// every key a handler reads must be the same on every node; the rest
// concerns the node alone (its listeners, its sockets, its files). These
// are the node's own keys; every other key is a world key.
var nodeKeys = []string{
	"listen",
	"limits.max_clients", "limits.sendq_bytes", "limits.registration_timeout",
	"limits.ping_interval", "limits.ping_timeout", "limits.max_per_ip",
	"limits.connect_rate", "limits.limit_exempt", "limits.max_unregistered",
	"limits.max_unregistered_per_ip",
	"flood", "store", "http",
	"history.retention",
	"cluster.nats", "cluster.node",
}

// NodeKey reports whether key (a dotted TOML path) is the node's own.
func NodeKey(key string) bool {
	for _, k := range nodeKeys {
		if key == k || strings.HasPrefix(key, k+".") {
			return true
		}
	}
	return false
}

// WorldDiff lists the world keys whose values differ between a and b
// (dotted TOML paths, in file order): the keys that must agree across
// the nodes of a cluster.
func WorldDiff(a, b *Config) []string {
	var out []string
	walkKeys("", reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), func(key string, x, y reflect.Value) {
		if NodeKey(key) {
			return
		}
		xj, _ := json.Marshal(x.Interface())
		yj, _ := json.Marshal(y.Interface())
		if string(xj) != string(yj) && !slices.Contains(out, key) {
			out = append(out, key)
		}
	})
	return out
}

// WithWorldKeys returns a copy of local whose world keys are those of
// world: what a node runs with after the network's config changed
// (REHASH on another node).
func WithWorldKeys(local, world *Config) *Config {
	out := *world
	walkKeys("", reflect.ValueOf(&out).Elem(), reflect.ValueOf(local).Elem(), func(key string, dst, src reflect.Value) {
		if NodeKey(key) {
			dst.Set(src)
		}
	})
	return &out
}

// walkKeys calls fn for each leaf key of two values of one struct type;
// slices of tables ([[oper]], [[command]]) are compared whole.
func walkKeys(prefix string, a, b reflect.Value, fn func(key string, x, y reflect.Value)) {
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("toml")
		if key == "" {
			continue
		}
		if prefix != "" {
			key = prefix + "." + key
		}
		x, y := a.Field(i), b.Field(i)
		if x.Kind() == reflect.Struct && x.Type() != reflect.TypeOf(Duration{}) {
			walkKeys(key, x, y, fn)
			continue
		}
		fn(key, x, y)
	}
}

// WorldPart is c with the node's own keys left empty: what a node's world
// holds of its config that every node must hold alike.
func WorldPart(c *Config) *Config { return WithWorldKeys(&Config{}, c) }
