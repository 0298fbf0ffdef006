package app

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tether-dev/tether/internal/redact"
)

type keyHolder struct{ Key string }

type lazyKey string

func (k lazyKey) LogValue() slog.Value { return slog.StringValue("key " + string(k)) }

// Whatever a log call hands over (a string, an error, a struct, a slice,
// a LogValuer, a group) the log file gets no key nor long fragment of one.
func TestLogFileGetsNoSecretInAnyAttribute(t *testing.T) {
	const key = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWX"
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if json {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(redactHandler{Handler: h, secrets: redact.New(key)})
		log.With("conf", keyHolder{key}).Info("start "+key[3:20],
			"s", key, "err", errors.New("401 for "+key),
			"req", keyHolder{Key: key}, "argv", []string{"--key", key[:18]},
			"lazy", lazyKey(key), slog.Group("g", "inner", &keyHolder{key}), "n", 3)
		out := buf.String()
		for i := 0; i+12 <= len(key); i++ {
			if strings.Contains(out, key[i:i+12]) {
				t.Fatalf("json=%v: the log holds %q of the key:\n%s", json, key[i:i+12], out)
			}
		}
		if !strings.Contains(out, "n=3") && !strings.Contains(out, `"n":3`) {
			t.Errorf("json=%v: plain values must stay as they are:\n%s", json, out)
		}
	}
}
