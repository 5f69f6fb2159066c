package state

// Fold maps a nickname or channel name to its rfc1459 casemapped form
// (CASEMAPPING=rfc1459): A-Z become a-z and []\~ become {}|^. Maps are keyed
// by the folded form; the original spelling is kept for display.
func Fold(name string) string {
	for i := 0; i < len(name); i++ {
		if foldByte(name[i]) != name[i] {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				b[j] = foldByte(b[j])
			}
			return string(b)
		}
	}
	return name
}

func foldByte(c byte) byte {
	switch {
	case c >= 'A' && c <= ']':
		return c + ('a' - 'A')
	case c == '~':
		return '^'
	}
	return c
}
