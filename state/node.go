package state

import (
	"cmp"
	"slices"
	"time"
)

// Node is one node of a cluster as every world knows it: from the log,
// never from the node's own say-so outside it.
type Node struct {
	Name     string    `json:"name"`
	Epoch    uint64    `json:"epoch"`     // the sequence of the NodeUp that started its current life
	Started  time.Time `json:"started"`   // log time of that NodeUp
	LastTick time.Time `json:"last_tick"` // log time of its latest Tick
	Info     string    `json:"info,omitempty"`
}

// sortedNodes lists the nodes by name.
func (w *World) sortedNodes() []Node {
	list := make([]Node, 0, len(w.nodes))
	for _, n := range w.nodes {
		list = append(list, *n)
	}
	slices.SortFunc(list, func(a, b Node) int { return cmp.Compare(a.Name, b.Name) })
	return list
}
