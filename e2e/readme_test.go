package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's commands are run exactly as written, in order, as a new
// user would: in a copy of the repository, with HOME and the XDG
// directories empty, the scripted model (bench/fakellm, started by the
// README's own command) where a model is needed, and the commands that
// open the UI in a tmux pane, driven and quit there.

// readmeNotRun are the commands the README shows that this test does not
// run, each with why; any other command it shows is run.
var readmeNotRun = map[string]string{
	"go test ./...":                          "the whole test suite, of which this test is a part",
	"bench/run":                              "benchmarks take minutes and run on demand, never as tests",
	"go run ./bench/faults -runs 5":          "benchmarks take minutes and run on demand, never as tests",
	"apt-get install bubblewrap slirp4netns": "installs system packages (.ci/run does it)",
}

// readmeCI is the README's test command: it must be what .ci/run runs.
const readmeCI = "go vet ./... && go test -race ./..."

// readmeModelEnv is a configured model: the README's fakellm command.
var readmeModelEnv = []string{"LLM_BASE_URL=http://127.0.0.1:8089/v1", "LLM_MODEL=fake", "LLM_API_KEY=x"}

// readmeCheck checks what a command printed; nil means exit 0 is enough.
type readmeCheck func(t *testing.T, r *readmeRun, out, errOut string, code int)

var readmeChecks = map[string]readmeCheck{
	"go build -o tether .": func(t *testing.T, r *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		if out != "tether dev\n" {
			t.Errorf("./tether version printed %q", out)
		}
	},
	"go install .": func(t *testing.T, r *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		if _, err := os.Stat(filepath.Join(r.gobin, "tether")); err != nil || out != "tether dev\n" {
			t.Errorf("go install: %v, tether version printed %q", err, out)
		}
	},
	"tether --help": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, "Available Commands:", "completion", "--step")
	},
	"tether run --json": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		var res struct{ Status, RecordPath string }
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != "finished" {
			t.Errorf("want a JSON result with status finished: %v\n%s", err, out)
		}
	},
	"tether run --events": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, `"kind": "user_message"`, "list the files")
	},
	"tether run -f prompt.md": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, "this prompt came from a file")
	},
	"tether suite run examples/suite.toml": func(t *testing.T, r *readmeRun, out, errOut string, code int) {
		// The scripted model does not do what the cases ask, so cases may
		// fail (exit 1); what matters is that the command line is taken
		// and both reports are written.
		if code != 0 && code != 1 {
			t.Errorf("exit %d; want 0 or 1\n%s", code, errOut)
		}
		b, err := os.ReadFile(filepath.Join(r.dir, "report.xml"))
		if err != nil || !bytes.Contains(b, []byte("<testsuite")) {
			t.Errorf("no JUnit report: %v\n%s", err, b)
		}
		wantIn(t, out, "example")
	},
	"tether ls": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, "FIRST PROMPT", "write fizzbuzz.py")
	},
	"tether suite add": func(t *testing.T, r *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, "added the case")
		if _, err := os.Stat(filepath.Join(r.dir, "my-suite.toml")); err != nil {
			t.Error(err)
		}
	},
	"tether config": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, "# effective settings")
	},
	"tether cleanup": func(t *testing.T, _ *readmeRun, out, _ string, code int) {
		wantExit(t, code, 0)
		wantIn(t, out, "no orphaned local sandboxes")
	},
}

func TestReadmeCommandsRunAsWritten(t *testing.T) {
	for _, tool := range []string{"tmux", "jq", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the README's commands use it", tool)
		}
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:8089"); err != nil {
		t.Skipf("127.0.0.1:8089 is taken (%v): the README's fakellm command needs it", err)
	} else {
		ln.Close()
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	r := newReadmeRun(t)
	seen := map[string]bool{}
	for _, c := range readmeCommands(string(readme)) {
		if seen[c.text] {
			continue
		}
		seen[c.text] = true
		name := fmt.Sprintf("L%d %s", c.line, strings.Join(c.program(), " "))
		t.Run(name, func(t *testing.T) { r.run(t, c) })
	}
	// Every way out deleted its sandbox (local-<id>; the shared /etc view
	// beside them, .etc-*, is not one).
	left, _ := filepath.Glob(filepath.Join(r.home, "state", "tether", "sandboxes", "local-*"))
	if len(left) > 0 {
		t.Errorf("sandboxes left after the README's commands: %v", left)
	}
}

// readmeRun is the user's machine: a copy of the repository, an empty
// home, and what the commands so far have started.
type readmeRun struct {
	t                *testing.T
	dir, home, gobin string
	model            bool // fakellm is serving
}

func newReadmeRun(t *testing.T) *readmeRun {
	tmp := t.TempDir()
	r := &readmeRun{t: t, dir: filepath.Join(tmp, "tether"), home: filepath.Join(tmp, "home"), gobin: filepath.Join(tmp, "bin")}
	if err := copyRepo("..", r.dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{r.home, r.gobin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The -f example's prompt file: a user writes their own.
	if err := os.WriteFile(filepath.Join(r.dir, "prompt.md"), []byte("say this prompt came from a file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// env is a clean environment: an empty home, Go's caches (so builds take
// seconds, not minutes) and nothing of the host's keys.
func (r *readmeRun) env() []string {
	env := []string{
		"HOME=" + r.home,
		"XDG_CONFIG_HOME=" + filepath.Join(r.home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(r.home, "state"),
		"XDG_CACHE_HOME=" + filepath.Join(r.home, "cache"),
		"PATH=" + r.gobin + ":" + os.Getenv("PATH"),
		"GOBIN=" + r.gobin,
		"GOTOOLCHAIN=local",
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
	}
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOPROXY", "GONOSUMDB"} {
		out, _ := exec.Command("go", "env", v).Output()
		if s := strings.TrimSpace(string(out)); s != "" {
			env = append(env, v+"="+s)
		}
	}
	if r.model {
		env = append(env, readmeModelEnv...) // the user has configured a model
	}
	return env
}

func (r *readmeRun) run(t *testing.T, c readmeCmd) {
	switch {
	case readmeNotRun[c.text] != "":
		t.Skipf("not run: %s", readmeNotRun[c.text])
	case strings.HasPrefix(c.text, readmeCI):
		ci, err := os.ReadFile("../.ci/run")
		if err != nil || !strings.Contains("\n"+string(ci)+"\n", "\n"+readmeCI+"\n") {
			t.Fatalf(".ci/run does not run %q exactly (%v)", readmeCI, err)
		}
		return // running it here would run this test again
	case strings.HasPrefix(c.text, "bench/") && !isExecutable(filepath.Join(r.dir, c.text)):
		t.Skipf("%s names a file, not a command", c.text)
	case c.isSynopsis():
		// A form such as `tether run [--json] PROMPT`: its command exists
		// and documents itself.
		argv := append(c.helpPath(), "--help")
		out, errOut, code := r.shell(t, "tether "+strings.Join(argv, " "), time.Minute)
		wantExit(t, code, 0)
		if !strings.Contains(out, "Usage:") {
			t.Errorf("tether %s: no usage\n%s%s", strings.Join(argv, " "), out, errOut)
		}
		return
	case strings.HasSuffix(c.program()[len(c.program())-1], "&"):
		r.background(t, c)
		return
	case c.startsTUI():
		r.tui(t, c)
		return
	}
	out, errOut, code := r.shell(t, c.text, 5*time.Minute)
	for prefix, check := range readmeChecks {
		if strings.HasPrefix(c.text, prefix) {
			check(t, r, out, errOut, code)
			return
		}
	}
	wantExit(t, code, 0)
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

// shell runs one command line with bash, as a terminal would.
func (r *readmeRun) shell(t *testing.T, line string, d time.Duration) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", line)
	cmd.Dir, cmd.Env = r.dir, r.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %v\n%s", line, d, errOut.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", line, err)
	}
	if strings.Contains(line, "$(") || strings.Contains(line, "|") {
		t.Logf("ran: %s", line)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// background starts a `CMD &` line and stops it when the test ends.
func (r *readmeRun) background(t *testing.T, c readmeCmd) {
	line := strings.TrimSuffix(strings.TrimSpace(c.text), "&")
	cmd := exec.Command("bash", "-c", "exec "+line)
	cmd.Dir, cmd.Env = r.dir, r.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	if !strings.Contains(line, "bench/fakellm") {
		t.Fatalf("a background command the test does not know how to wait for: %s", line)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if c, err := net.Dial("tcp", "127.0.0.1:8089"); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fakellm never listened on :8089\n%s", errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.model = true
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// copyRepo copies the working tree (not .git, not built binaries).
func copyRepo(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || rel == "tether" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}

func wantExit(t *testing.T, code, want int) {
	t.Helper()
	if code != want {
		t.Errorf("exit %d; want %d", code, want)
	}
}

func wantIn(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("output lacks %q:\n%s", sub, s)
		}
	}
}
