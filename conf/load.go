package conf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads the TOML file at path onto Default(), so omitted keys keep
// their defaults, rejects keys the schema does not know, resolves relative
// file paths against the file's directory (paths.go), and validates the
// result. Errors name the file, the line where known, and the key:
//
//	conf: chatd.toml: line 12: limits.nick_length: must be between 1 and 255, got 0
func Load(path string, opts ...Option) (*Config, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conf: %w", err)
	}
	lines := keyLines(string(data))
	// Parse alone first, so a syntax error is told apart from a value that
	// does not fit the schema.
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, syntaxError(path, err, lines)
	}
	c := Default()
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return nil, decodeError(path, err)
	}
	if err := unknownKeys(path, md.Undecoded(), lines); err != nil {
		return nil, err
	}
	if !md.IsDefined("server", "motd") {
		c.Server.MOTD = defaultMOTD(c) // names this file's lobby and web page
	}
	c.resolvePaths(filepath.Dir(path))
	if err := c.validate(o.reserved); err != nil {
		return nil, locate(path, err, lines)
	}
	return c, nil
}

// where formats the "conf: file: line N: key: " prefix; line 0 and key ""
// are left out.
func where(path string, line int, key string) string {
	s := "conf: " + path + ": "
	if line > 0 {
		s += fmt.Sprintf("line %d: ", line)
	}
	if key != "" {
		s += key + ": "
	}
	return s
}

// syntaxError reports a file that is not valid TOML, naming the key set
// on the offending line if there is one, else the library's last key.
func syntaxError(path string, err error, lines keyIndex) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return errors.New(where(path, 0, "") + strings.TrimPrefix(err.Error(), "toml: "))
	}
	key := lines.key[pe.Position.Line]
	if key == "" {
		key = pe.LastKey
	}
	return errors.New(where(path, pe.Position.Line, key) + "syntax error: " + pe.Message)
}

// decodeLastKey matches the library's plain decode errors, such as a
// type mismatch: `toml: line 3 (last key "limits.nick_length"): ...`.
var decodeLastKey = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "((?:[^"\\]|\\.)*)"\): (.*)$`)

func decodeError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return errors.New(where(path, pe.Position.Line, pe.LastKey) + pe.Message)
	}
	msg := err.Error()
	if m := decodeLastKey.FindStringSubmatch(msg); m != nil {
		line := 0
		fmt.Sscan(m[1], &line)
		return errors.New(where(path, line, m[2]) + m[3])
	}
	return errors.New(where(path, 0, "") + strings.TrimPrefix(msg, "toml: "))
}

// unknownKeys reports every key of the file that the schema has no field
// for. Inside an unknown table only the table itself is reported.
func unknownKeys(path string, undecoded []toml.Key, lines keyIndex) error {
	seen := make(map[string]bool)
	var errs []error
	for _, k := range undecoded {
		name := k.String()
		seen[name] = true
		if len(k) > 1 && seen[toml.Key(k[:len(k)-1]).String()] {
			continue
		}
		errs = append(errs, fmt.Errorf("%sunknown key %q", where(path, lines.line[name], ""), name))
	}
	return errors.Join(errs...)
}

// locate prefixes each of Validate's problems with the file, and with the
// line of the key it names when the file sets that key, or else of the
// table holding it.
func locate(path string, err error, lines keyIndex) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		var fe *fieldError
		if errors.As(e, &fe) {
			at := fe.key
			if fe.at != "" {
				at = fe.at
			}
			out[i] = fmt.Errorf("%s%w", where(path, lines.find(at), ""), e)
		} else {
			out[i] = fmt.Errorf("%s%w", where(path, 0, ""), e)
		}
	}
	return errors.Join(out...)
}

// keyIndex maps keys to the lines that set them and back.
type keyIndex struct {
	line map[string]int // key -> first line setting it
	key  map[int]string // line -> key it sets or table it opens
}

// find returns the line of key or, failing that, of the nearest enclosing
// table the file opens; 0 if none.
func (ki keyIndex) find(key string) int {
	for key != "" {
		if n, ok := ki.line[key]; ok {
			return n
		}
		dot := strings.LastIndex(key, ".")
		if dot < 0 {
			break
		}
		key = key[:dot]
	}
	return 0
}

// keyLines finds, as best it can without a full parser, the line on which
// each key of a TOML document is set or each table opened. Keys are
// dotted ("limits.nick_length"); keys inside the n-th [[name]] table are
// recorded both as "name[n].key" (n from 0) and, for the first
// occurrence, as "name.key". The toml library keeps key positions to
// itself, so this is how Load puts line numbers on unknown keys and
// validation errors.
func keyLines(doc string) keyIndex {
	ki := keyIndex{line: make(map[string]int), key: make(map[int]string)}
	set := func(k string, n int) {
		if _, ok := ki.line[k]; !ok {
			ki.line[k] = n
		}
		if _, ok := ki.key[n]; !ok {
			ki.key[n] = k
		}
	}
	count := make(map[string]int)
	var table, indexed string
	inString := "" // the delimiter of a multi-line string we are inside
	for i, l := range strings.Split(doc, "\n") {
		n := i + 1
		l = strings.TrimSpace(l)
		if inString != "" {
			if strings.Count(l, inString)%2 == 1 {
				inString = ""
			}
			continue
		}
		switch {
		case l == "" || l[0] == '#':
			continue
		case strings.HasPrefix(l, "[["):
			end := strings.Index(l, "]]")
			if end < 0 {
				continue
			}
			table = dottedKey(l[2:end])
			indexed = fmt.Sprintf("%s[%d]", table, count[table])
			count[table]++
			set(table, n)
			set(indexed, n)
			continue
		case l[0] == '[':
			end := strings.Index(l, "]")
			if end < 0 {
				continue
			}
			table = dottedKey(l[1:end])
			indexed = table
			set(table, n)
			continue
		}
		eq := strings.Index(l, "=")
		if eq < 0 {
			continue
		}
		key := dottedKey(l[:eq])
		if key == "" {
			continue
		}
		value := l[eq+1:]
		for _, delim := range []string{`"""`, `'''`} {
			if strings.Count(value, delim)%2 == 1 {
				inString = delim
				break
			}
		}
		if table == "" {
			set(key, n)
			continue
		}
		set(table+"."+key, n)
		set(indexed+"."+key, n)
	}
	return ki
}

// bareKey matches one piece of a dotted key, bare or quoted.
var bareKey = regexp.MustCompile(`^(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')$`)

// dottedKey normalises a TOML key as written (`a . "b"`) to the form
// toml.Key.String gives (a.b); "" if it does not look like a key.
func dottedKey(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if !bareKey.MatchString(p) {
			return ""
		}
		if p[0] == '"' || p[0] == '\'' {
			p = p[1 : len(p)-1]
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}
