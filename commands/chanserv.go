package commands

import (
	"maps"
	"slices"
	"strings"
	"time"

	"chatd/state"
)

// ChanServ registers groups: a registered group keeps its owner, its
// settings (topic, modes, key, limit, lists) and an access list of
// accounts that get op or voice on joining, across being empty and across
// restarts.

var chanServHelp = [][2]string{
	{"REGISTER <#group>", "Register a group you are an operator of; you become its owner."},
	{"INFO <#group>", "Show a group's owner and access list."},
	{"ACCESS <#group> ADD <account> [op|voice] | DEL <account> | LIST", "Accounts that get op or voice when they join (owner and ops)."},
	{"TRANSFER <#group> <account>", "Give the group to another account (owner)."},
	{"DROP <#group>", "Unregister the group (owner, or an IRC operator)."},
	{"SET <#group> REPLAY ON|OFF", "Whether people joining get the last messages replayed (owner and ops; OFF for an exam)."},
}

func chanServCommand(w *state.World, c *state.Client, verb string, args []string) {
	reply := func(text string) { servNotice(w, c, chanServ, text) }
	if verb == "HELP" {
		reply("ChanServ keeps registered groups (channels): they stay when empty and after a restart, and their owner and access list get their status back on joining.")
		for _, h := range chanServHelp {
			reply(h[0] + " - " + h[1])
		}
		return
	}
	if len(args) < 1 {
		reply("Usage: " + verb + " <#group> ... (try /msg ChanServ HELP)")
		return
	}
	ch := w.Channel(groupName(args[0]))
	if ch == nil {
		reply("There is no group " + args[0] + ".")
		return
	}
	switch verb {
	case "REGISTER":
		csRegister(w, c, ch, reply)
	case "INFO":
		csInfo(w, c, ch, reply)
	case "ACCESS":
		csAccess(w, c, ch, args[1:], reply)
	case "TRANSFER":
		csTransfer(w, c, ch, args[1:], reply)
	case "DROP":
		csDrop(w, c, ch, reply)
	case "SET":
		csSet(w, c, ch, args[1:], reply)
	default:
		reply("Unknown command " + verb + ". Try /msg ChanServ HELP")
	}
}

func csRegister(w *state.World, c *state.Client, ch *state.Channel, reply func(string)) {
	mem := ch.Membership(c)
	switch {
	case c.Account == "":
		reply("You must be logged in to register a group (see /msg NickServ HELP).")
		return
	case ch.Reg != nil:
		reply(ch.Name + " is already registered.")
		return
	case mem == nil || !mem.Op:
		reply("You must be an operator of " + ch.Name + " to register it.")
		return
	}
	rec := w.ChannelRecord(ch)
	rec.Owner, rec.Registered, rec.Access = state.Fold(c.Account), w.Now(), map[string]string{}
	owner := c.Account
	persistHeld(w, c, state.SaveChannel{Channel: rec}, func(w *state.World) {
		w.RegisterChannel(ch, owner, rec.Registered)
		w.ChannelChanged(ch) // anything changed while the record was written
		w.Log.Info("group registered", "channel", ch.Name, "owner", owner)
	}, func(err error) {
		if err != nil {
			reply(ch.Name + " could not be registered; try again later.")
			return
		}
		reply(ch.Name + " is now registered to " + owner + ".")
	})
}

// persistHeld submits wr with c held; apply runs once it committed (even
// if c left), then answer with the outcome unless c left.
func persistHeld(w *state.World, c *state.Client, wr state.Write, apply func(w *state.World), answer func(err error)) {
	w.Hold(c)
	c.Auth.Busy = true
	w.Persist(wr, func(w *state.World, err error) {
		if err == nil {
			apply(w)
		}
		finishHeld(w, c, func() { answer(err) })
	})
}

func csInfo(w *state.World, c *state.Client, ch *state.Channel, reply func(string)) {
	if ch.Reg == nil {
		reply(ch.Name + " is not registered.")
		return
	}
	reply(ch.Name + " is registered to " + displayAccount(w, ch.Reg.Owner) + " since " + ch.Reg.Registered.UTC().Format(time.RFC1123) + ".")
	keys := slices.Sorted(maps.Keys(ch.Reg.Access))
	if len(keys) == 0 {
		reply("Its access list is empty.")
	}
	for _, k := range keys {
		reply("Access: " + displayAccount(w, k) + " " + ch.Reg.Access[k])
	}
}

// displayAccount shows a folded account name as registered.
func displayAccount(w *state.World, key string) string {
	if a := w.Account(key); a != nil {
		return a.Name
	}
	return key
}

// canManage reports whether c may change ch's registration: its owner, an
// op-level access entry (unless ownerOnly), or an IRC operator.
func canManage(c *state.Client, ch *state.Channel, ownerOnly bool) bool {
	if c.Modes&state.UserOper != 0 {
		return true
	}
	if c.Account == "" || ch.Reg == nil {
		return false
	}
	key := state.Fold(c.Account)
	return key == ch.Reg.Owner || (!ownerOnly && ch.Reg.Access[key] == state.AccessOp)
}

func csAccess(w *state.World, c *state.Client, ch *state.Channel, args []string, reply func(string)) {
	if ch.Reg == nil {
		reply(ch.Name + " is not registered.")
		return
	}
	sub := ""
	if len(args) > 0 {
		sub = strings.ToUpper(args[0])
	}
	if sub == "LIST" {
		csInfo(w, c, ch, reply)
		return
	}
	if (sub != "ADD" && sub != "DEL") || len(args) < 2 {
		reply("Usage: ACCESS <#group> ADD <account> [op|voice] | DEL <account> | LIST")
		return
	}
	if !canManage(c, ch, false) {
		reply("Only the owner and op-level accounts of " + ch.Name + " may change its access list.")
		return
	}
	acct := w.Account(args[1])
	if acct == nil {
		reply("There is no account " + args[1] + ".")
		return
	}
	level := state.AccessOp
	if len(args) > 2 {
		level = strings.ToLower(args[2])
	}
	if level != state.AccessOp && level != state.AccessVoice {
		reply("The level is op or voice.")
		return
	}
	reg := *ch.Reg
	reg.Access = maps.Clone(ch.Reg.Access)
	key := state.Fold(acct.Name)
	if sub == "ADD" {
		reg.Access[key] = level
	} else if _, ok := reg.Access[key]; !ok {
		reply(acct.Name + " is not on the access list of " + ch.Name + ".")
		return
	} else {
		delete(reg.Access, key)
	}
	saveReg(w, c, ch, reg, func(err error) {
		switch {
		case err != nil:
			reply("The change could not be saved; try again later.")
		case sub == "ADD":
			reply(acct.Name + " now gets " + level + " in " + ch.Name + ".")
		default:
			reply(acct.Name + " was removed from the access list of " + ch.Name + ".")
		}
	})
}

// saveReg commits ch with a new registration (owner, access list).
func saveReg(w *state.World, c *state.Client, ch *state.Channel, reg state.ChannelReg, answer func(error)) {
	rec := w.ChannelRecord(ch)
	rec.Owner, rec.Access = reg.Owner, reg.Access
	persistHeld(w, c, state.SaveChannel{Channel: rec}, func(w *state.World) {
		if ch.Reg != nil {
			w.SetChannelReg(ch, reg)
		}
	}, answer)
}

func csTransfer(w *state.World, c *state.Client, ch *state.Channel, args []string, reply func(string)) {
	switch {
	case ch.Reg == nil:
		reply(ch.Name + " is not registered.")
		return
	case len(args) < 1:
		reply("Usage: TRANSFER <#group> <account>")
		return
	case !canManage(c, ch, true):
		reply("Only the owner of " + ch.Name + " may transfer it.")
		return
	}
	acct := w.Account(args[0])
	if acct == nil {
		reply("There is no account " + args[0] + ".")
		return
	}
	reg := *ch.Reg
	reg.Access = maps.Clone(ch.Reg.Access)
	reg.Owner = state.Fold(acct.Name)
	delete(reg.Access, reg.Owner)
	saveReg(w, c, ch, reg, func(err error) {
		if err != nil {
			reply("The change could not be saved; try again later.")
			return
		}
		reply(ch.Name + " now belongs to " + acct.Name + ".")
	})
}

func csDrop(w *state.World, c *state.Client, ch *state.Channel, reply func(string)) {
	switch {
	case ch.Reg == nil:
		reply(ch.Name + " is not registered.")
		return
	case !canManage(c, ch, true):
		reply("Only the owner of " + ch.Name + " (or an IRC operator) may drop it.")
		return
	}
	name := ch.Name
	persistHeld(w, c, state.DropChannel{Name: state.Fold(name)}, func(w *state.World) {
		w.Unregister(ch)
		w.Log.Info("group dropped", "channel", name, "by", c.Nick)
	}, func(err error) {
		if err != nil {
			reply(name + " could not be dropped; try again later.")
			return
		}
		reply(name + " is no longer registered.")
	})
}

// csSet changes a registered group's setting: SET <#group> REPLAY ON|OFF
// turns the replay of recent messages on JOIN on or off (for clients
// without CHATHISTORY; commands/replay.go). The answer comes once it is
// saved.
func csSet(w *state.World, c *state.Client, ch *state.Channel, args []string, reply func(string)) {
	if len(args) < 2 || strings.ToUpper(args[0]) != "REPLAY" || (strings.ToUpper(args[1]) != "ON" && strings.ToUpper(args[1]) != "OFF") {
		reply("Usage: SET <#group> REPLAY ON|OFF")
		return
	}
	switch {
	case ch.Reg == nil:
		reply(ch.Name + " is not registered.")
		return
	case !canManage(c, ch, false):
		reply("Only the owner and op-level accounts of " + ch.Name + " may change its settings.")
		return
	}
	on := strings.ToUpper(args[1]) == "ON"
	rec := w.ChannelRecord(ch)
	rec.NoReplay = !on
	persistHeld(w, c, state.SaveChannel{Channel: rec}, func(w *state.World) {
		w.SetChannelReplay(ch, on)
	}, func(err error) {
		switch {
		case err != nil:
			reply("The change could not be saved; try again later.")
		case on:
			reply("People joining " + ch.Name + " without chat history support now get its last messages replayed.")
		default:
			reply("People joining " + ch.Name + " no longer get its last messages replayed.")
		}
	})
}
