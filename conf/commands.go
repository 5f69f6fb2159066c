package conf

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Command is one [[command]] table: a verb the server's admin defines
// without writing code. It either answers with fixed text (Reply) or
// passes the words after it on, as a message from the user, to a channel
// or a nick (SendTo). Exactly one of the two is set.
type Command struct {
	Name   string `toml:"name"`    // the verb, e.g. "RULES"; matched case-insensitively
	Help   string `toml:"help"`    // its line in HELP
	Reply  string `toml:"reply"`   // text sent back, one NOTICE per line
	SendTo string `toml:"send_to"` // "#channel" or "nick" that gets the text after the verb
}

// Limits on custom commands: a reply is bounded work for the state
// goroutine and each of its lines fits one NOTICE.
const (
	maxCommandNameLen   = 32
	maxCommandHelpLen   = 300
	maxCommandReplyLine = 400
	maxCommandReplyRows = 50
)

var commandName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// Option changes how Load checks a file.
type Option func(*loadOptions)

type loadOptions struct {
	reserved map[string]bool // upper-case verbs a [[command]] may not take
}

// ReservedCommands makes Load refuse a [[command]] named like one of verbs
// (chatd's built-in commands): it would never be reached, or would hide
// the built-in one.
func ReservedCommands(verbs []string) Option {
	return func(o *loadOptions) {
		if o.reserved == nil {
			o.reserved = make(map[string]bool, len(verbs))
		}
		for _, v := range verbs {
			o.reserved[strings.ToUpper(v)] = true
		}
	}
}

// ReplyLines returns a reply's lines: split on "\n", "\r" endings and
// trailing empty lines dropped.
func (cmd Command) ReplyLines() []string {
	lines := strings.Split(cmd.Reply, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// FindCommand returns the [[command]] named verb (any case), or nil.
func (c *Config) FindCommand(verb string) *Command {
	for i := range c.Commands {
		if strings.EqualFold(c.Commands[i].Name, verb) {
			return &c.Commands[i]
		}
	}
	return nil
}

func (c *Config) validateCommands(ch *checker, reserved map[string]bool) {
	seen := make(map[string]int)
	for i, cmd := range c.Commands {
		key := fmt.Sprintf("command[%d].", i)
		upper := strings.ToUpper(cmd.Name)
		switch {
		case cmd.Name == "":
			ch.addAt(key+"name", fmt.Sprintf("command[%d]", i), "must be set: the word that is typed, e.g. name = \"RULES\"")
		case len(cmd.Name) > maxCommandNameLen || !commandName.MatchString(cmd.Name):
			ch.add(key+"name", "must be a letter then letters or digits, at most %d, got %q", maxCommandNameLen, cmd.Name)
		case reserved[upper]:
			ch.add(key+"name", "%s is a built-in command; choose another name", upper)
		default:
			if prev, dup := seen[upper]; dup {
				ch.add(key+"name", "%s is defined twice (also command[%d])", upper, prev)
			}
			seen[upper] = i
		}
		if len(cmd.Help) > maxCommandHelpLen || hasControl(cmd.Help, false) || !utf8.ValidString(cmd.Help) {
			ch.add(key+"help", "must be one line of at most %d bytes of UTF-8", maxCommandHelpLen)
		}
		switch {
		case cmd.Reply == "" && cmd.SendTo == "":
			ch.addAt(key+"reply", fmt.Sprintf("command[%d]", i), "set reply (the text it answers with) or send_to (where the text after it goes)")
		case cmd.Reply != "" && cmd.SendTo != "":
			ch.add(key+"send_to", "set reply or send_to, not both")
		case cmd.Reply != "":
			c.validateCommandReply(ch, key+"reply", cmd)
		default:
			validateSendTo(ch, key+"send_to", cmd.SendTo)
		}
	}
}

func (c *Config) validateCommandReply(ch *checker, key string, cmd Command) {
	lines := cmd.ReplyLines()
	if len(lines) > maxCommandReplyRows {
		ch.add(key, "has %d lines; at most %d", len(lines), maxCommandReplyRows)
	}
	for n, l := range lines {
		switch {
		case !utf8.ValidString(l):
			ch.add(key, "line %d is not UTF-8", n+1)
		case hasControl(strings.ReplaceAll(l, "\t", " "), false):
			ch.add(key, "line %d has a control character", n+1)
		case len(l) > maxCommandReplyLine:
			ch.add(key, "line %d is %d bytes; at most %d fit one message", n+1, len(l), maxCommandReplyLine)
		}
	}
}

// validateSendTo checks a send_to target: a channel name or a nick, one
// word.
func validateSendTo(ch *checker, key, to string) {
	switch {
	case hasControl(to, true) || strings.ContainsAny(to, ",:!@*?"):
		ch.add(key, "must be one channel (\"#teachers\") or nick, got %q", to)
	case strings.HasPrefix(to, "#") && len(to) < 2:
		ch.add(key, "%q is not a channel name", to)
	}
}
