// Package sandboxtest holds the provider-agnostic conformance tests of
// sandbox.Sandbox: every provider runs the same checks (exit codes,
// streaming without holdback, byte-exact output, files, cwd and env,
// cancel, timeout, close), so that a command behaves the same on local and
// on Daytona's real daemon.
//
// It is for tests only: production code must not import it. It must not
// import a provider: providers' tests call Run with a constructor.
package sandboxtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Options tells Run how to get sandboxes of the provider under test.
type Options struct {
	// New returns a fresh sandbox, closed by the caller's cleanup.
	New func(t *testing.T) sandbox.Sandbox
	// Idle, when set, fails t if sb still holds something once its
	// commands are over (processes, toolbox sessions): the leak check.
	Idle func(t *testing.T, sb sandbox.Sandbox)
}

// Run runs the conformance tests as subtests of t.
func Run(t *testing.T, o Options) {
	sb := o.New(t) // shared by the tests that leave no state behind
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, sb sandbox.Sandbox)
	}{
		{"ExitCodes", testExitCodes},
		{"StdoutAndStderrExact", testStreamsExact},
		{"PartialLineStreams", testPartialLine},
		{"BinaryOutputExact", testBinaryOutput},
		{"InvalidUTF8KeepsTheRest", testInvalidUTF8},
		{"LargeOutputExact", testLargeOutput},
		{"FilesRoundTrip", testFiles},
		{"CwdAndEnv", testCwdEnv},
		{"ArgvIntact", testArgv},
		{"CancelKeepsOutputAndKills", testCancel},
		{"TimeoutKills", testTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, sb)
			if o.Idle != nil {
				o.Idle(t, sb)
			}
		})
	}
	t.Run("Close", func(t *testing.T) { testClose(t, o.New(t)) })
}

// Buffer is a goroutine-safe buffer that can wait for content.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Bytes returns a copy of what was written.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}

func (b *Buffer) String() string { return string(b.Bytes()) }

// WaitFor waits up to d for the buffer to contain s.
func (b *Buffer) WaitFor(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// Exec runs a command and returns its result and both outputs.
func Exec(t testing.TB, sb sandbox.Sandbox, req sandbox.ExecRequest) (sandbox.ExecResult, []byte, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut Buffer
	req.Stdout, req.Stderr = &out, &errOut
	res, err := sb.Exec(ctx, req)
	if err != nil {
		t.Fatalf("Exec(%q): %v", req.Command, err)
	}
	return res, out.Bytes(), errOut.Bytes()
}

// Corpus is n bytes holding every byte value, NULs, invalid UTF-8
// sequences and lone CRs, deterministically.
func Corpus(n int) []byte {
	seed := []byte("\x00\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\r\x01\x01\x01\x02\x02\x02\n\x00")
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		out = append(out, byte(i), byte(255-i%256))
		if i%97 == 0 {
			out = append(out, seed...)
		}
	}
	return out[:n]
}

func testExitCodes(t *testing.T, sb sandbox.Sandbox) {
	for _, c := range []struct {
		cmd  string
		code int
	}{
		{"true", 0}, {"false", 1}, {"exit 3", 3}, {"exit 255", 255},
		{"no-such-command-tether", 127}, {"(exit 42)", 42}, {"if then fi", 2},
		{"echo 'unclosed", 2}, {"kill -9 $$", 137},
	} {
		res, _, _ := Exec(t, sb, sandbox.ExecRequest{Command: c.cmd})
		if res.ExitCode != c.code || res.Cancelled || res.TimedOut {
			t.Errorf("%q: exit %d (%+v), want %d", c.cmd, res.ExitCode, res, c.code)
		}
	}
}

func testStreamsExact(t *testing.T, sb sandbox.Sandbox) {
	res, out, errOut := Exec(t, sb, sandbox.ExecRequest{Command: "echo out; echo err >&2; printf 'no newline'; printf 'e2' >&2"})
	if res.ExitCode != 0 || string(out) != "out\nno newline" || string(errOut) != "err\ne2" {
		t.Errorf("exit %d, stdout %q, stderr %q", res.ExitCode, out, errOut)
	}
	_, out, errOut = Exec(t, sb, sandbox.ExecRequest{Command: "true"})
	if len(out) != 0 || len(errOut) != 0 {
		t.Errorf("a silent command printed %q / %q", out, errOut)
	}
}

func testPartialLine(t *testing.T, sb sandbox.Sandbox) {
	var out, errOut Buffer
	done := make(chan sandbox.ExecResult, 1)
	go func() {
		res, _ := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "printf tick; printf tock >&2; sleep 3; printf ' end'", Stdout: &out, Stderr: &errOut})
		done <- res
	}()
	if !out.WaitFor("tick", 2500*time.Millisecond) {
		t.Errorf("a partial line did not stream while the command ran: %q", out.String())
	}
	if !errOut.WaitFor("tock", 500*time.Millisecond) {
		t.Errorf("a partial stderr line did not stream: %q", errOut.String())
	}
	select {
	case <-done:
		t.Error("the command ended before its partial line was checked")
	default:
	}
	if res := <-done; res.ExitCode != 0 || out.String() != "tick end" {
		t.Errorf("exit %d, stdout %q", res.ExitCode, out.String())
	}
}

func testBinaryOutput(t *testing.T, sb sandbox.Sandbox) {
	corpus := Corpus(100 << 10)
	ctx := context.Background()
	if err := sb.WriteFile(ctx, "conf/corpus.bin", corpus); err != nil {
		t.Fatal(err)
	}
	res, out, errOut := Exec(t, sb, sandbox.ExecRequest{Command: "cat conf/corpus.bin; cat conf/corpus.bin >&2"})
	if res.ExitCode != 0 || !bytes.Equal(out, corpus) || !bytes.Equal(errOut, corpus) {
		t.Errorf("exit %d; stdout %s; stderr %s", res.ExitCode, diff(out, corpus), diff(errOut, corpus))
	}
	// A command that is not valid UTF-8 itself runs as written.
	res, out, _ = Exec(t, sb, sandbox.ExecRequest{Command: "printf '%s' '\xff\xfe'"})
	if res.ExitCode != 0 || string(out) != "\xff\xfe" {
		t.Errorf("a command holding invalid UTF-8: %q", out)
	}
	res, out, _ = Exec(t, sb, sandbox.ExecRequest{Command: `printf 'a\000b\377c\r\n\001\001\001d'`})
	if want := "a\x00b\xffc\r\n\x01\x01\x01d"; res.ExitCode != 0 || string(out) != want {
		t.Errorf("printf of NUL, 0xff, CR and markers: %q, want %q", out, want)
	}
}

func testInvalidUTF8(t *testing.T, sb sandbox.Sandbox) {
	res, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: `printf 'A\377B\n'; cd /; export X=kept; echo tail-line-ok; echo "$PWD $X"`})
	if want := "A\xffB\ntail-line-ok\n/ kept\n"; res.ExitCode != 0 || string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func testLargeOutput(t *testing.T, sb sandbox.Sandbox) {
	corpus := Corpus(1 << 20)
	if err := sb.WriteFile(context.Background(), "conf/big.bin", corpus); err != nil {
		t.Fatal(err)
	}
	res, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: "cat conf/big.bin"})
	if res.ExitCode != 0 || !bytes.Equal(out, corpus) {
		t.Errorf("1 MiB: exit %d, %s", res.ExitCode, diff(out, corpus))
	}
	res, out, _ = Exec(t, sb, sandbox.ExecRequest{Command: "seq 1 100000"})
	if n := bytes.Count(out, []byte("\n")); res.ExitCode != 0 || n != 100000 || !bytes.HasSuffix(out, []byte("\n99999\n100000\n")) {
		t.Errorf("seq: exit %d, %d lines", res.ExitCode, n)
	}
}

func testFiles(t *testing.T, sb sandbox.Sandbox) {
	ctx := context.Background()
	corpus := Corpus(100 << 10)
	if err := sb.WriteFile(ctx, "conf/deep/er/file.bin", corpus); err != nil {
		t.Fatal(err)
	}
	got, err := sb.ReadFile(ctx, "conf/deep/er/file.bin")
	if err != nil || !bytes.Equal(got, corpus) {
		t.Errorf("download: %v, %s", err, diff(got, corpus))
	}
	abs := sb.WorkDir() + "/conf/deep/er/file.bin"
	if got, err := sb.ReadFile(ctx, abs); err != nil || !bytes.Equal(got, corpus) {
		t.Errorf("download by absolute path: %v", err)
	}
	_, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: "cksum < conf/deep/er/file.bin"})
	_, want, _ := Exec(t, sb, sandbox.ExecRequest{Command: "cat conf/deep/er/file.bin | cksum"})
	if len(out) == 0 || !bytes.Equal(out, want) {
		t.Errorf("the command saw another file than the upload: %q vs %q", out, want)
	}
	if err := sb.WriteFile(ctx, "conf/empty", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := sb.ReadFile(ctx, "conf/empty"); err != nil || len(got) != 0 {
		t.Errorf("empty file: %q %v", got, err)
	}
	if _, err := sb.ReadFile(ctx, "conf/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	if err := sb.WriteFile(ctx, "conf/empty", []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if got, _ := sb.ReadFile(ctx, "conf/empty"); string(got) != "replaced" {
		t.Errorf("replace: %q", got)
	}
}

func testCwdEnv(t *testing.T, sb sandbox.Sandbox) {
	Exec(t, sb, sandbox.ExecRequest{Command: "mkdir -p 'conf/a dir'"})
	val := `sp ace 'q' "d" $HOME ` + "`x`\ttab\nnl"
	res, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: `pwd; printf '%s' "$V"`, Cwd: "conf/a dir", Env: map[string]string{"V": val}})
	if want := sb.WorkDir() + "/conf/a dir\n" + val; res.ExitCode != 0 || string(out) != want {
		t.Errorf("cwd/env: %q, want %q", out, want)
	}
	_, out, _ = Exec(t, sb, sandbox.ExecRequest{Command: "cd /; export LEAK=1"})
	_, out, _ = Exec(t, sb, sandbox.ExecRequest{Command: `pwd; echo "[$LEAK]"`})
	if want := sb.WorkDir() + "\n[]\n"; string(out) != want {
		t.Errorf("an exec's cd/export leaked into the next: %q, want %q", out, want)
	}
	// A missing cwd fails the command, as an error or as a non-zero exit
	// that names the directory.
	var errOut Buffer
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "echo ran", Cwd: "conf/no-such-dir", Stderr: &errOut})
	if err == nil && (res.ExitCode == 0 || !strings.Contains(errOut.String(), "no-such-dir")) {
		t.Errorf("a missing cwd: exit %d, stderr %q", res.ExitCode, errOut.String())
	}
}

func testArgv(t *testing.T, sb sandbox.Sandbox) {
	argv := []string{"sh", "-c", `printf '%s|' "$@"`, "x", "a b", "c'd", `e"f`, "$HOME", "", "*", "--"}
	res, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: sandbox.ShellJoin(argv)})
	if want := strings.Join(argv[4:], "|") + "|"; res.ExitCode != 0 || string(out) != want {
		t.Errorf("argv: %q, want %q", out, want)
	}
}

func testCancel(t *testing.T, sb sandbox.Sandbox) {
	mark := fmt.Sprintf("tether-conf-%d", time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	var out Buffer
	done := make(chan sandbox.ExecResult, 1)
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "echo before; (sleep 300; echo " + mark + ") & sleep 301 # " + mark, Stdout: &out})
		errc <- err
		done <- res
	}()
	defer cancel()
	if !out.WaitFor("before\n", 10*time.Second) {
		t.Fatalf("no output before the cancel: %q", out.String())
	}
	cancel()
	var res sandbox.ExecResult
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Exec: %v", err)
		}
		res = <-done
	case <-time.After(5 * time.Second):
		t.Fatal("Exec did not return within 5 s of the cancel")
	}
	if !res.Cancelled || res.ExitCode != -1 || out.String() != "before\n" {
		t.Errorf("cancel: %+v, output %q (want all of %q)", res, out.String(), "before\n")
	}
	t.Logf("cancel returned after %s", time.Since(start).Round(time.Millisecond))
	waitGone(t, sb, mark)
}

func testTimeout(t *testing.T, sb sandbox.Sandbox) {
	mark := fmt.Sprintf("tether-conf-t%d", time.Now().UnixNano())
	res, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: "printf partial; sleep 300 # " + mark, Timeout: time.Second})
	if !res.TimedOut || res.ExitCode != -1 || string(out) != "partial" {
		t.Errorf("timeout: %+v, output %q", res, out)
	}
	waitGone(t, sb, mark)
}

// waitGone fails t if a process whose command line holds mark is still
// running in the sandbox 3 s on.
func waitGone(t *testing.T, sb sandbox.Sandbox, mark string) {
	t.Helper()
	probe := "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null; echo; done | grep -F -- " + sandbox.ShellQuote(mark) + " | grep -v grep || true"
	var left string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, out, _ := Exec(t, sb, sandbox.ExecRequest{Command: probe})
		// The probe's own shell holds the mark in its command line.
		left = ""
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, mark) && !strings.Contains(l, "/proc/") {
				left += l + "\n"
			}
		}
		if left == "" {
			return
		}
	}
	t.Errorf("processes survived the kill:\n%s", left)
}

func testClose(t *testing.T, sb sandbox.Sandbox) {
	ctx := context.Background()
	if err := sb.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := sb.Close(ctx); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true"}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Exec after Close: %v, want ErrClosed", err)
	}
	if err := sb.WriteFile(ctx, "x", []byte("x")); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("WriteFile after Close: %v, want ErrClosed", err)
	}
}

// diff says where got first differs from want.
func diff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return "identical"
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(i-8, 0)
	return fmt.Sprintf("%d bytes, want %d; first difference at %d: got %q, want %q", len(got), len(want), i,
		got[lo:min(i+8, len(got))], want[lo:min(i+8, len(want))])
}
