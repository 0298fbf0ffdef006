package local

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// "auto" without a working bubblewrap refuses, saying how to install it or
// how to choose "none"; it never falls back to running unconfined.
func TestAutoWithoutBwrapRefuses(t *testing.T) {
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	broken := func(string) (string, error) { return "/bin/false", nil } // runs, always fails
	for name, look := range map[string]func(string) (string, error){"missing": missing, "broken": broken} {
		probe := func() localProbeResult { return localProbeWith(look) }
		for _, mode := range []string{"", IsolationAuto, IsolationBwrap} {
			iso, err := localIsolationFrom(mode, sandbox.NetworkOn, probe)
			if err == nil || iso.bwrap {
				t.Fatalf("%s bwrap, mode %q: %+v, %v: want a refusal", name, mode, iso, err)
			}
			for _, want := range []string{"install", `isolation = "none"`, "your files and keys"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s bwrap, mode %q: error %q lacks %q", name, mode, err, want)
				}
			}
		}
	}
	iso, err := localIsolationFrom(IsolationNone, sandbox.NetworkOn, func() localProbeResult {
		return localProbeResult{err: errors.New("must not be probed")}
	})
	if err != nil || iso.bwrap || !strings.Contains(iso.describe, "files and keys") {
		t.Fatalf("none: %+v, %v", iso, err)
	}
}
