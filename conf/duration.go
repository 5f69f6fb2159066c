package conf

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "30s"
// or "1m30s".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string ("30s", "1m30s").
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"30s\" or \"1m30s\")", text)
	}
	d.Duration = v
	return nil
}

// MarshalText formats the duration as UnmarshalText accepts it.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
