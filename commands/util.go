package commands

import (
	"sort"

	"chatd/state"
)

// sortedChannels lists every channel by name, for stable replies.
func sortedChannels(w *state.World) []*state.Channel {
	list := make([]*state.Channel, 0, len(w.Channels()))
	for _, ch := range w.Channels() {
		list = append(list, ch)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

func sortClients(list []*state.Client) {
	sort.Slice(list, func(i, j int) bool { return list[i].Nick < list[j].Nick })
}

func sortedChannelsOf(c *state.Client) []*state.Channel {
	list := make([]*state.Channel, 0, len(c.Channels()))
	for ch := range c.Channels() {
		list = append(list, ch)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}
