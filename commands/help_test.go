package commands

import "testing"

// Every HELP index line fits one IRC line for the longest nick and a
// long server name, so no command's description is ever cut short.
func TestHelpLinesFitOneLine(t *testing.T) {
	prefix := len(":" + "irc.a-rather-long-server-name.example.org" + " 705 " + "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" + " * :" + "\r\n")
	for verb, cmd := range newTable() {
		if cmd.usage == "" || cmd.help == "" {
			t.Errorf("%s has no HELP entry", verb)
		}
		if n := prefix + len(helpLine(cmd)); n > 512 {
			t.Errorf("HELP line for %s is %d bytes, over 512", verb, n)
		}
	}
}
