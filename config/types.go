package config

import (
	"fmt"
	"strconv"
	"time"
)

// Secret is a string that never prints itself: fmt, %v and JSON show a
// mask. Use string(s) where the real value is needed.
type Secret string

// String masks the secret.
func (s Secret) String() string { return Mask(string(s)) }

// GoString masks the secret for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText masks the secret so encoders never write it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the secret from the config file.
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// Mask shows whether a secret is set without revealing it.
func Mask(v string) string {
	switch {
	case v == "":
		return ""
	case len(v) < 12:
		return "****"
	default:
		return "****" + v[len(v)-4:]
	}
}

// Duration is a time.Duration written as "90s", "5m" or "1h30m" in TOML
// and in environment variables.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func parseDuration(s string) (time.Duration, error) {
	var v time.Duration
	if n, err := strconv.Atoi(s); err == nil { // bare number: seconds, as DAYTONA_TIMEOUT is
		v = time.Duration(n) * time.Second
	} else if v, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 90s, 5m or 1h30m", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q: a duration must not be negative", s)
	}
	return v, nil
}
