package app

import (
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox/local"
)

// run's stderr and --json carry a warning exactly when isolation is "none".
func TestUnconfinedWarning(t *testing.T) {
	none, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	if w := UnconfinedWarning(none); !strings.Contains(w, "run as you, with your files and keys") {
		t.Fatalf("isolation none: warning %q", w)
	}
	confined, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationAuto})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(confined.Isolation(), "unavailable") {
		t.Skipf("bubblewrap unavailable: %s", confined.Isolation())
	}
	if w := UnconfinedWarning(confined); w != "" {
		t.Fatalf("bwrap: warning %q", w)
	}
}

// With network "host" chosen, a confined sandbox shares the host's network:
// run's stderr and --json say so too.
func TestHostNetworkWarning(t *testing.T) {
	host, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationAuto, Network: local.NetworkHost})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(host.Isolation(), "unavailable") {
		t.Skipf("bubblewrap unavailable: %s", host.Isolation())
	}
	if w := UnconfinedWarning(host); !strings.Contains(w, `network "host"`) || !strings.Contains(w, "127.0.0.1") {
		t.Fatalf("network host: warning %q", w)
	}
	off, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationAuto, Network: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if w := UnconfinedWarning(off); w != "" {
		t.Fatalf("network off: warning %q", w)
	}
}
