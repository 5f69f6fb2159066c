package conf

import (
	"slices"
	"testing"
)

// TestWithWorldKeys: a node keeps its own keys (listeners, flood, the
// store, its node name) and takes every world key from the network's
// config; WorldDiff then finds nothing between the result and the world.
func TestWithWorldKeys(t *testing.T) {
	world, local := Default(), Default()
	world.Server.Network = "Class"
	world.Limits.NickLength = 20
	world.Flood.Burst = 99
	local.Flood.Burst = 3
	local.Cluster.Node = "b"
	local.Server.Network = "Other"
	got := WithWorldKeys(local, world)
	if got.Server.Network != "Class" || got.Limits.NickLength != 20 {
		t.Fatalf("world keys not taken: network %q, nicklen %d", got.Server.Network, got.Limits.NickLength)
	}
	if got.Flood.Burst != 3 || got.Cluster.Node != "b" {
		t.Fatalf("node keys not kept: burst %d, node %q", got.Flood.Burst, got.Cluster.Node)
	}
	if d := WorldDiff(got, world); len(d) != 0 {
		t.Fatalf("WorldDiff(result, world) = %v", d)
	}
	if d := WorldDiff(local, world); !slices.Equal(d, []string{"server.network", "limits.nick_length"}) {
		t.Fatalf("WorldDiff(local, world) = %v", d)
	}
}
