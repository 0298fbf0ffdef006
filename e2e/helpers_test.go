package e2e

// Process-level tests: the tether binary is built once (TestMain) and run
// as a subprocess against an in-process fake model (llmtest) and, for the
// daytona provider, an in-process fake Daytona (sandboxtest). Every test
// gets its own HOME and XDG directories, so nothing touches the user's
// state and tests can run side by side.
//
// A sandbox command is recognised by a unique marker in its command line
// (sleep 300.<nonce>), which works in and out of bwrap's pid namespace:
// leaks are counted by scanning /proc for that marker.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// tetherBin is the binary under test, built by TestMain.
var tetherBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tether-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	tetherBin = filepath.Join(dir, "tether")
	build := exec.Command("go", "build", "-tags", "faults", "-o", tetherBin, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building tether:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2eEnv is one isolated world for the binary: temp dirs, a fake model and
// (provider "daytona") a fake Daytona.
type e2eEnv struct {
	t        *testing.T
	root     string
	provider string
	llm      *llmtest.Server
	day      *daytonatest.Server
	dayEnv   *realdaemon.Env // the real daemons behind day
	marker   string          // unique sleep duration, e.g. "300.12345"
	// extra environment, applied last (overrides).
	extra          map[string]string
	llmKey, dayKey string
	// tuiStderrOnTTY leaves the TUI's stderr on the terminal instead of
	// a file (startTUI).
	tuiStderrOnTTY bool
	// tuiKeepPane keeps the pane (and the tmux server) after tether exits,
	// for commands that end on their own before the test has read the
	// screen; the pane's pid is then the shell's, not tether's.
	tuiKeepPane bool
}

type envOpt func(*envConfig)

type envConfig struct {
	llmOpts []llmtest.Option
	dayOpts []daytonatest.Option
	llmKey  string // sent by tether (LLM_API_KEY)
	dayKey  string // sent by tether (DAYTONA_API_KEY); "" = the fake's key
	config  string // config.toml text after the [llm] table
	llmCfg  string // lines of the [llm] table
}

func withLLMServerKey(k string) envOpt {
	return func(c *envConfig) { c.llmOpts = append(c.llmOpts, llmtest.WithAPIKey(k)) }
}
func withDaytonaServerKey(k string) envOpt {
	return func(c *envConfig) { c.dayOpts = append(c.dayOpts, daytonatest.WithAPIKey(k)) }
}
func withKeys(llmKey, dayKey string) envOpt {
	return func(c *envConfig) { c.llmKey, c.dayKey = llmKey, dayKey }
}
func withConfig(toml string) envOpt { return func(c *envConfig) { c.config += toml + "\n" } }

// withLLMConfig adds lines to the config file's [llm] table.
func withLLMConfig(lines string) envOpt { return func(c *envConfig) { c.llmCfg += lines + "\n" } }

func newEnv(t *testing.T, provider string, opts ...envOpt) *e2eEnv {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the process-level tests read /proc to find leaked processes")
	}
	var c envConfig
	for _, o := range opts {
		o(&c)
	}
	// "local-none" is the local provider without bubblewrap: sandbox
	// processes do not die with tether, so only its teardown stops them.
	if provider == "local-none" {
		provider = "local"
		c.config += "[local]\nisolation = \"none\"\n"
	}
	e := &e2eEnv{
		t:        t,
		root:     t.TempDir(),
		provider: provider,
		llm:      llmtest.NewServer(t, c.llmOpts...),
		marker:   fmt.Sprintf("300.%05d", rand.IntN(100000)),
		extra:    map[string]string{},
		llmKey:   c.llmKey,
	}
	e.dayKey = c.dayKey // also with the local provider: a user may have both keys set
	if provider == "daytona" {
		// The control plane is fake; the sandboxes run on the real
		// toolbox daemon (the test skips where it cannot run).
		e.dayEnv = realdaemon.New(t, c.dayOpts...)
		e.day = e.dayEnv.Server
		if e.dayKey == "" {
			e.dayKey = e.day.APIKey()
		}
	}
	for _, d := range []string{"home", "state", "data", "config/tether"} {
		if err := os.MkdirAll(filepath.Join(e.root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Quick retries so the error scenarios end in a second or two.
	cfg := "[llm]\nmax_retries = 1\n" + c.llmCfg + c.config
	if err := os.WriteFile(filepath.Join(e.root, "config/tether/config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killMarked(e.marker) })
	return e
}

func (e *e2eEnv) stateDir() string    { return filepath.Join(e.root, "state") }
func (e *e2eEnv) dataDir() string     { return filepath.Join(e.root, "data") }
func (e *e2eEnv) sandboxBase() string { return filepath.Join(e.root, "state", "tether", "sandboxes") }
func (e *e2eEnv) logFile() string     { return filepath.Join(e.root, "state", "tether", "tether.log") }
func (e *e2eEnv) recordDir() string   { return filepath.Join(e.root, "data", "tether", "sessions") }

// environ is a clean environment: nothing from the developer's shell that
// could point tether at a real model or a real Daytona.
func (e *e2eEnv) environ() []string {
	env := map[string]string{
		"PATH":            os.Getenv("PATH"),
		"HOME":            filepath.Join(e.root, "home"),
		"XDG_STATE_HOME":  e.stateDir(),
		"XDG_DATA_HOME":   e.dataDir(),
		"XDG_CONFIG_HOME": filepath.Join(e.root, "config"),
		"LLM_BASE_URL":    e.llm.URL,
		"LLM_MODEL":       "fake-model",
		"TETHER_PROVIDER": e.provider,
		"TERM":            "xterm-256color",
		"LANG":            "C.UTF-8",
	}
	if e.llmKey != "" {
		env["LLM_API_KEY"] = e.llmKey
	}
	if e.day != nil {
		env["DAYTONA_API_URL"] = e.day.URL
	}
	if e.dayKey != "" {
		env["DAYTONA_API_KEY"] = e.dayKey
	}
	for k, v := range e.extra {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// proc is a running tether.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuf
	done           chan struct{}
	err            error
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs tether with args in the background.
func (e *e2eEnv) start(args ...string) *proc {
	e.t.Helper()
	cmd := exec.Command(tetherBin, args...)
	cmd.Env = e.environ()
	cmd.Dir = e.root
	p := &proc{cmd: cmd, stdout: &lockedBuf{}, stderr: &lockedBuf{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	// Own process group: a signal meant for the test run does not reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting tether: %v", err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	e.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for exit up to d and returns the exit code (-1: killed by a
// signal); it fails the test if tether is still running then.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("tether did not exit within %s\nstderr:\n%s", d, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// run runs tether to the end (bounded by d).
func (e *e2eEnv) run(d time.Duration, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	p := e.start(args...)
	code = p.wait(e.t, d)
	return p.stdout.String(), p.stderr.String(), code
}

// --- leak checks ---

// markedProcs lists live (non-zombie) processes whose command line holds marker.
func markedProcs(marker string) []int {
	ents, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var pids []int
	for _, en := range ents {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == self {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", en.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cl, []byte(marker)) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", en.Name(), "stat")); err == nil {
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// killMarked is the test's own last-resort cleanup, so a failing test does
// not leave sleeps behind for the next.
func killMarked(marker string) {
	for _, pid := range markedProcs(marker) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// waitMarked waits until a sandbox process with the marker runs.
func (e *e2eEnv) waitMarked(p *proc, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for len(markedProcs(e.marker)) == 0 {
		if time.Now().After(deadline) {
			e.t.Fatalf("the sandbox command (sleep %s) never started\nstderr:\n%s", e.marker, p.stderr.String())
		}
		select {
		case <-p.done:
			e.t.Fatalf("tether exited before the sandbox command started\nstderr:\n%s", p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// localSandboxes lists sandbox directories (local-<id>) left under the
// local base dir; the shared /etc view (.etc-*) is not a sandbox.
func (e *e2eEnv) localSandboxes() []string {
	ents, _ := os.ReadDir(e.sandboxBase())
	var out []string
	for _, en := range ents {
		if en.IsDir() && strings.HasPrefix(en.Name(), "local-") {
			out = append(out, en.Name())
		}
	}
	return out
}

// leaks counts what is left behind: sandboxes (fake Daytona's live ones,
// or local workspace dirs) and sandbox processes. Processes are given a
// moment to be reaped by the kernel after their sandbox went.
func (e *e2eEnv) leaks() (sandboxes, procs int) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		procs = len(markedProcs(e.marker))
		if procs == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	sandboxes = len(e.localSandboxes())
	if e.day != nil {
		sandboxes += len(e.day.Live())
	}
	return sandboxes, procs
}

// assertNoLeaks fails the test if anything was left, and reports the
// counts in a line bench/faults reads.
func (e *e2eEnv) assertNoLeaks(scenario string) {
	e.t.Helper()
	sbs, procs := e.leaks()
	reportResult(e.t, scenario, sbs, procs, 0)
	if sbs != 0 {
		e.t.Errorf("%s: %d sandbox(es) left: local %v, daytona %v", scenario, sbs, e.localSandboxes(), e.live())
	}
	if procs != 0 {
		e.t.Errorf("%s: %d sandbox process(es) still running: %v", scenario, procs, markedProcs(e.marker))
	}
}

func (e *e2eEnv) live() []string {
	if e.day == nil {
		return nil
	}
	return e.day.Live()
}

// reportResult prints the line bench/faults parses:
// E2E-RESULT scenario=S sandboxes=N procs=N cancel_us=N
func reportResult(t *testing.T, scenario string, sandboxes, procs int, cancel time.Duration) {
	t.Helper()
	t.Logf("E2E-RESULT scenario=%s sandboxes=%d procs=%d cancel_us=%d", scenario, sandboxes, procs, cancel.Microseconds())
}

// assertCleanStderr rejects Go panic traces and raw sandbox escapes.
func assertNoPanic(t *testing.T, stderr string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "runtime error", "[signal "} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr holds a Go crash trace (%q):\n%s", bad, stderr)
		}
	}
}

// sleepCall is the model's tool call that runs the long sandbox command.
func (e *e2eEnv) sleepCall() llmtest.ToolCallReply {
	return llmtest.Call("terminal", map[string]any{"command": "echo started; sleep " + e.marker, "timeout": 600})
}

// backgroundCall starts a detached sleep and returns at once: the sandbox
// must still kill it when it is closed.
func (e *e2eEnv) backgroundCall() llmtest.ToolCallReply {
	return llmtest.Call("terminal", map[string]any{"command": "nohup sleep " + e.marker + " >/dev/null 2>&1 & echo bg-started"})
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// logStderr shows what a user would read, in verbose runs only.
func logStderr(t *testing.T, stderr string) {
	t.Helper()
	if testing.Verbose() {
		t.Logf("stderr:\n%s", stderr)
	}
}

// readDirNames lists what is left in a local base dir but the shared /etc
// view: each name a sandbox directory.
func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var out []string
	for _, en := range ents {
		if !strings.HasPrefix(en.Name(), ".etc-") { // the local provider's shared /etc view
			out = append(out, en.Name())
		}
	}
	return out, err
}
