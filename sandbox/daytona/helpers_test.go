package daytona_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

const dtTestKey = "dt-test-key-0123456789-SECRET"

// dtFake starts a fake Daytona control plane whose sandboxes run on the
// real toolbox daemon (skipping the test where it cannot run) and a
// provider pointed at it.
func dtFake(t testing.TB, mod ...func(*daytona.Options)) (*daytonatest.Server, *daytona.Provider) {
	t.Helper()
	env := realdaemon.New(t, daytonatest.WithAPIKey(dtTestKey))
	srv := env.Server
	dtEnvs.Store(srv, env)
	opts := daytona.Options{APIKey: dtTestKey, APIURL: srv.URL, Logger: dtLogger(t)}
	for _, m := range mod {
		m(&opts)
	}
	p, err := daytona.NewProvider(opts)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	return srv, p
}

// dtControlPlane is the fake control plane alone (no toolbox daemons),
// for tests of create, list and delete at scale.
func dtControlPlane(t testing.TB) (*daytonatest.Server, *daytona.Provider) {
	t.Helper()
	srv := daytonatest.NewServer(t, daytonatest.WithAPIKey(dtTestKey))
	p, err := daytona.NewProvider(daytona.Options{APIKey: dtTestKey, APIURL: srv.URL, Logger: dtLogger(t)})
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	return srv, p
}

// dtLogger logs through the test, and checks no line carries the key.
func dtLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(&dtTestLog{t: t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type dtTestLog struct{ t testing.TB }

func (w *dtTestLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(dtTestKey)) {
		w.t.Errorf("a log line carries the API key: %s", p)
	}
	return len(p), nil
}

// dtCreate creates a sandbox that is closed when the test ends.
func dtCreate(t testing.TB, p *daytona.Provider, spec sandbox.Spec) sandbox.Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb, err := p.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	return sb
}

// dtSyncBuf is a goroutine-safe buffer that can signal when it holds a
// string.
type dtSyncBuf struct {
	mu   sync.Mutex
	b    bytes.Buffer
	want string
	seen chan struct{}
}

func dtNewBuf(want string) *dtSyncBuf { return &dtSyncBuf{want: want, seen: make(chan struct{})} }

func (b *dtSyncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Write(p)
	if b.want != "" && strings.Contains(b.b.String(), b.want) {
		b.want = ""
		close(b.seen)
	}
	return len(p), nil
}

func (b *dtSyncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// dtExec runs a command and returns its result and output.
func dtExec(t testing.TB, sb sandbox.Sandbox, req sandbox.ExecRequest) (sandbox.ExecResult, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, errOut := dtNewBuf(""), dtNewBuf("")
	req.Stdout, req.Stderr = out, errOut
	res, err := sb.Exec(ctx, req)
	if err != nil {
		t.Fatalf("Exec(%q): %v", req.Command, err)
	}
	return res, out.String(), errOut.String()
}

// dtAlive says whether a process exists and is not a zombie.
func dtAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// dtWaitGone waits up to d for all pids to be gone.
func dtWaitGone(pids []int, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		var alive []int
		for _, p := range pids {
			if dtAlive(p) {
				alive = append(alive, p)
			}
		}
		if len(alive) == 0 || time.Now().After(deadline) {
			return alive
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dtReadPID(t testing.TB, path string) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dtIntp(n int) *int { return &n }

// dtEnvs maps a server dtFake made to its real-daemon environment.
var dtEnvs sync.Map

// dtDaemon is the real daemon behind a sandbox of a dtFake server.
func dtDaemon(t testing.TB, srv *daytonatest.Server, id string) *realdaemon.Daemon {
	t.Helper()
	env, ok := dtEnvs.Load(srv)
	if !ok {
		t.Fatal("not a dtFake server")
	}
	d, ok := env.(*realdaemon.Env).Daemon(id)
	if !ok {
		t.Fatalf("no daemon for sandbox %s", id)
	}
	return d
}

// dtIdle fails t unless the sandbox holds no process, toolbox session or
// PTY session within d.
func dtIdle(t testing.TB, srv *daytonatest.Server, id string, d time.Duration) {
	t.Helper()
	procs, sessions, err := dtDaemon(t, srv, id).WaitIdle(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) > 0 || len(sessions) > 0 {
		t.Errorf("left in the sandbox: processes %v, sessions %v", procs, sessions)
	}
}
