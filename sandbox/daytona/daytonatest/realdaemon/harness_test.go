package realdaemon_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// TestSandboxRunsOnTheRealDaemon: a sandbox made through the fake control
// plane runs its commands on a real daemon, in its own work dir, with its
// env vars, and sees only its own processes.
func TestSandboxRunsOnTheRealDaemon(t *testing.T) {
	env := realdaemon.New(t)
	p, err := env.NewProvider(daytona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := p.Create(ctx, sandbox.Spec{Env: map[string]string{"GREETING": "hi there"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(context.Background())
	d, ok := env.Daemon(sb.ID())
	if !ok {
		t.Fatal("no daemon for the sandbox")
	}
	if sb.WorkDir() != d.Dir {
		t.Errorf("work dir %q, daemon's dir %q", sb.WorkDir(), d.Dir)
	}
	var out strings.Builder
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "echo \"$GREETING\" $PWD; ps -eo pid= | wc -l; exit 4", Stdout: &out})
	if err != nil || res.ExitCode != 4 {
		t.Fatalf("exec: %+v %v", res, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "hi there "+d.Dir {
		t.Fatalf("output %q", out.String())
	}
	if err := sb.WriteFile(ctx, "f.txt", []byte("data")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(d.Dir, "f.txt")); err != nil || string(b) != "data" {
		t.Errorf("the upload did not land in the work dir: %q %v", b, err)
	}
	if !strings.Contains(d.DaemonLog(), "/files/upload") {
		t.Error("the daemon did not log the upload: was it the real daemon?")
	}
}

// TestDeleteLeavesNoProcess: a sandbox's background, nohup and setsid
// processes die with it, and Processes saw them while it lived.
func TestDeleteLeavesNoProcess(t *testing.T) {
	env := realdaemon.New(t)
	p, err := env.NewProvider(daytona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := env.Daemon(sb.ID())
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "nohup sleep 4242 >/dev/null 2>&1 & setsid sleep 4243 >/dev/null 2>&1 < /dev/null & echo ok"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exec: %+v %v", res, err)
	}
	var seen []string
	for range 100 {
		ps, err := d.Processes()
		if err != nil {
			t.Fatal(err)
		}
		seen = seen[:0]
		for _, p := range ps {
			if strings.HasPrefix(p.Args, "sleep 424") {
				seen = append(seen, p.Args)
			}
		}
		if len(seen) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen) != 2 {
		t.Fatalf("Processes saw %v, want both sleeps", seen)
	}
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.Daemon(sb.ID()); ok {
		t.Error("the daemon still runs after delete")
	}
	if n := countHost("sleep 424"); n != 0 {
		t.Errorf("%d sleeps survived the delete", n)
	}
}

// TestTheDaemonIsUnreachableFromTheHost: the daemon's ports live only in
// its namespace.
func TestTheDaemonIsUnreachableFromTheHost(t *testing.T) {
	if err := realdaemon.Available(); err != nil {
		t.Skip(err)
	}
	d := startDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.Sessions(ctx); err != nil {
		t.Fatalf("through the dialer: %v", err)
	}
	if ids, err := d.PtySessions(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("PTY sessions: %v %v", ids, err)
	}
	if out, _ := os.ReadFile("/proc/net/tcp"); strings.Contains(string(out), ":08E8 ") {
		t.Log("note: something in the host namespace listens on 2280")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Sessions(ctx); err == nil {
		t.Error("a stopped daemon still answers")
	}
}

// TestMissingBinaryIsReported: a TETHER_DAYTONA_DAEMON that names nothing
// is an error (not a skip), and no binary at all is ErrUnavailable.
func TestMissingBinaryIsReported(t *testing.T) {
	t.Setenv(realdaemon.EnvBinary, filepath.Join(t.TempDir(), "nope"))
	if _, err := realdaemon.Binary(); err == nil || errors.Is(err, realdaemon.ErrUnavailable) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Binary with a bad %s: %v", realdaemon.EnvBinary, err)
	}
	t.Setenv(realdaemon.EnvBinary, "")
	t.Chdir(t.TempDir())
	if _, err := realdaemon.Binary(); err != nil && !errors.Is(err, realdaemon.ErrUnavailable) {
		t.Errorf("no binary: %v", err)
	}
}

func startDaemon(t *testing.T) *realdaemon.Daemon {
	t.Helper()
	bin, err := realdaemon.Binary()
	if err != nil {
		t.Skip(err)
	}
	d, err := realdaemon.StartDaemon(bin, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func countHost(prefix string) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.HasPrefix(strings.ReplaceAll(string(b), "\x00", " "), prefix) {
			n++
		}
	}
	return n
}
