package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// localModes runs f once per isolation mode, skipping bwrap where it does
// not work.
func localModes(t *testing.T, f func(t *testing.T, iso string)) {
	t.Helper()
	for _, iso := range []string{IsolationNone, IsolationBwrap} {
		t.Run(iso, func(t *testing.T) {
			if iso == IsolationBwrap {
				localNeedBwrap(t)
			}
			f(t, iso)
		})
	}
}

var localBwrapErr = func() func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { _, err = localProbeIsolation(IsolationBwrap, sandbox.NetworkOn) })
		return err
	}
}()

// localTestNetwork is the network tests get when they do not choose: "on"
// (egress only) where slirp4netns works, else "host", the shared network
// "on" meant before, so that the tests of everything else still run.
// The network tests themselves skip there (localNeedSlirp).
func localTestNetwork() string {
	if _, err := localFindSlirp(); err != nil {
		return NetworkHost
	}
	return sandbox.NetworkOn
}

func localNeedBwrap(t testing.TB) {
	t.Helper()
	if err := localBwrapErr(); err != nil {
		t.Skipf("bubblewrap unavailable: %v", err)
	}
}

func localTestProvider(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.BaseDir == "" {
		opts.BaseDir = t.TempDir()
	}
	if opts.Network == "" && opts.Isolation != IsolationNone {
		opts.Network = localTestNetwork()
	}
	p, err := NewProvider(opts)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	return p
}

// localTestSandbox creates a sandbox that is closed when the test ends.
func localTestSandbox(t testing.TB, iso string) (*Provider, sandbox.Sandbox) {
	t.Helper()
	p := localTestProvider(t, Options{Isolation: iso})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	return p, sb
}

// localMarker is a unique argv[0] for a test's background processes, so
// they can be found in the host's /proc whatever PID namespace they are in.
func localMarker() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "tether-test-" + hex.EncodeToString(b)
}

// localLivePIDs lists live (not zombie) processes whose argv[0] is marker.
func localLivePIDs(marker string) []int {
	names, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range names {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if string(argv0) == marker && !localZombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// localWaitFor polls cond until it holds or the generous deadline passes.
func localWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// localWaitGone fails the test if a process marked marker is still alive
// after a few seconds.
func localWaitGone(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pids := localLivePIDs(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v (%s) survived", pids, marker)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// localSyncBuffer is a goroutine-safe writer that reports each write.
type localSyncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes chan string
}

func newLocalSyncBuffer() *localSyncBuffer {
	return &localSyncBuffer{writes: make(chan string, 1024)}
}

func (b *localSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf.Write(p)
	b.mu.Unlock()
	select {
	case b.writes <- string(p):
	default:
	}
	return len(p), nil
}

func (b *localSyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// localRun runs command and returns its result and stdout, failing on err.
func localRun(t *testing.T, sb sandbox.Sandbox, command string) (sandbox.ExecResult, string) {
	t.Helper()
	var out strings.Builder
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: command, Stdout: &out})
	if err != nil {
		t.Fatalf("Exec(%q): %v", command, err)
	}
	return res, out.String()
}

// localZombie reports whether pid is a zombie (or dead) per /proc/<pid>/stat.
func localZombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(data, ')')
	fields := strings.Fields(string(data[i+1:]))
	return i < 0 || len(fields) == 0 || fields[0] == "Z" || fields[0] == "X"
}
