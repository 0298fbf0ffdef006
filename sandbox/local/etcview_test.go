package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// TestEtcViewHasOnlyWorldReadable builds a view of a planted /etc: what
// only its owner may read (a TLS key, as in /etc/ssl/private) stays out,
// links are kept as links, and the view is reused while nothing changes.
func TestEtcViewHasOnlyWorldReadable(t *testing.T) {
	root, base := t.TempDir(), t.TempDir()
	write := func(rel, data string, perm os.FileMode) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), perm); err != nil {
			t.Fatal(err)
		}
	}
	write("hosts", "127.0.0.1 localhost\n", 0o644)
	write("ssl/certs/ca.pem", "CERT", 0o644)
	write("ssl/private/key.pem", "KEY", 0o600)
	write("ssl/secret.conf", "SECRET", 0o640)
	write("shadow", "root:SECRET", 0o600) // not in bwrapEtc at all
	if err := os.Chmod(filepath.Join(root, "ssl/private"), 0o710); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("certs/ca.pem", filepath.Join(root, "ssl/link.pem")); err != nil {
		t.Fatal(err)
	}
	view, err := localEtcViewOf(root, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"ssl/private", "ssl/secret.conf", "shadow"} {
		if _, err := os.Lstat(filepath.Join(view, gone)); err == nil {
			t.Errorf("%s is in the view", gone)
		}
	}
	if data, err := os.ReadFile(filepath.Join(view, "ssl/certs/ca.pem")); err != nil || string(data) != "CERT" {
		t.Errorf("ca.pem: %q, %v", data, err)
	}
	if target, err := os.Readlink(filepath.Join(view, "ssl/link.pem")); err != nil || target != "certs/ca.pem" {
		t.Errorf("link: %q, %v", target, err)
	}
	for _, ph := range localEtcPlaceholders {
		if _, err := os.Stat(filepath.Join(view, ph)); err != nil {
			t.Errorf("placeholder %s: %v", ph, err)
		}
	}
	if again, err := localEtcViewOf(root, base); err != nil || again != view {
		t.Errorf("unchanged /etc gave a new view %s (%v), want %s", again, err, view)
	}
	write("hosts", "127.0.0.1 localhost changed\n", 0o644)
	if changed, _ := localEtcViewOf(root, base); changed == view {
		t.Error("a changed /etc kept the old view")
	}
}

// TestSandboxCannotReadRootOnlyEtc: as root, the sandbox's root could read
// a root-only file of a bound /etc directory; the view leaves them out.
func TestSandboxCannotReadRootOnlyEtc(t *testing.T) {
	var hidden []string
	for _, e := range []string{"/etc/ssl/private"} {
		if entries, err := os.ReadDir(e); err == nil && len(entries) > 0 {
			hidden = append(hidden, filepath.Join(e, entries[0].Name()))
		}
	}
	if len(hidden) == 0 {
		t.Skip("no root-only file under /etc/ssl/private on this host")
	}
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	_, out := localRun(t, sb, "cat "+strings.Join(hidden, " ")+" >/dev/null 2>&1; echo rc=$?; ls /etc/ssl/certs | head -1")
	if !strings.HasPrefix(out, "rc=1\n") || strings.TrimPrefix(out, "rc=1\n") == "" {
		t.Fatalf("root-only /etc files readable, or certificates missing: %q", out)
	}
}
