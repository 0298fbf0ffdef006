package local

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

func localNeedLandlock(t *testing.T, abi int) {
	t.Helper()
	if got := localLandlockABI(); got < abi {
		t.Skipf("kernel Landlock ABI %d, need %d", got, abi)
	}
}

// TestLandlockConfinesTheHelper runs the helper on the host, outside any
// bubblewrap, so that only Landlock stands between it and the files: what
// its rules do not name can be neither read nor written.
func TestLandlockConfinesTheHelper(t *testing.T) {
	localNeedLandlock(t, 1)
	allowed, denied := t.TempDir(), t.TempDir()
	secret := filepath.Join(denied, "secret")
	if err := os.WriteFile(secret, []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(localHelperConfig{Landlock: localLandlockRules{
		RO: []string{"/usr", "/bin", "/lib", "/lib64", "/etc"}, RW: []string{allowed}, Dev: []string{"/dev"},
	}})
	script := `cat ` + secret + ` 2>&1; echo "read=$?"
echo x > ` + denied + `/new 2>&1; echo "write=$?"
ls ` + denied + ` 2>&1; echo "list=$?"
echo ok > ` + allowed + `/f && cat ` + allowed + `/f; echo "own=$?"`
	cmd := &exec.Cmd{Path: exe, Args: []string{localHelperPath, localHelperMarker, localHelperExec, string(cfg), "/bin/bash", "-c", script}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	got := string(out)
	for _, bad := range []string{"SECRET", "read=0", "write=0", "list=0"} {
		if strings.Contains(got, bad) {
			t.Errorf("Landlock let through %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, "ok\nown=0") {
		t.Errorf("the allowed directory is not usable:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(denied, "new")); err == nil {
		t.Fatal("the helper wrote outside its rules on the host")
	}
}

// TestLandlockInsideTheSandbox: the layer is on in sandboxes (Info says
// so), the helper's binary can be run but not read, and with the host's
// network shared (network "host"), the host's abstract Unix sockets (which
// a shared network namespace would otherwise expose) are out of reach.
func TestLandlockInsideTheSandbox(t *testing.T) {
	localNeedLandlock(t, 6)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: it makes the socket connection")
	}
	name := "tether-test-" + localMarker()
	l, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Skipf("abstract socket: %v", err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	sb := localEscapeSandbox(t, Options{Network: NetworkHost}, sandbox.Spec{})
	info, _ := sb.Info(context.Background())
	if !strings.Contains(info.Isolation, "landlock ABI") {
		t.Fatalf("Isolation %q does not mention Landlock", info.Isolation)
	}
	_, out := localRun(t, sb, `head -c 4 `+localHelperPath+` >/dev/null 2>&1; echo "read=$?"
python3 -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0`+name+`"); print("CONNECTED")
except OSError as e:
    print("refused", e)
'`)
	if !strings.Contains(out, "read=1") || strings.Contains(out, "CONNECTED") {
		t.Fatalf("inside the sandbox:\n%s", out)
	}
	select {
	case <-accepted:
		t.Fatal("the host's abstract socket accepted a connection from the sandbox")
	case <-time.After(100 * time.Millisecond):
	}
}
