package session

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

// The terminal tool over its persistent PTY shell, on every provider that
// can run here: local (under bubblewrap where it works) and, where the
// binary is present, Daytona's real toolbox daemon (ttTerminalProviders).

type ttProvider struct {
	name string
	open func(t testing.TB) sandbox.Sandbox
}

// ttTerminalProviders lists the providers the PTY tests run against.
func ttTerminalProviders() []ttProvider {
	ps := []ttProvider{{"local", func(t testing.TB) sandbox.Sandbox {
		sb, err := ttSandboxIso(t, local.IsolationBwrap)
		if err != nil {
			t.Logf("bubblewrap unavailable (%v): local without isolation", err)
			sb = ttSandbox(t)
		}
		return sb
	}}}
	return append(ps, ttDaytonaProviders()...)
}

func ttEachProvider(t *testing.T, fn func(t *testing.T, sb sandbox.Sandbox)) {
	for _, p := range ttTerminalProviders() {
		t.Run(p.name, func(t *testing.T) { fn(t, p.open(t)) })
	}
}

// ttCall runs one terminal call and returns its result and what streamed.
func ttCall(t *testing.T, tool Tool, sb sandbox.Sandbox, args map[string]any) (ToolResult, string) {
	t.Helper()
	var out ttBuffer
	res, err := tool.Run(context.Background(), ToolCall{ID: "c", Args: ttArgs(t, args), Sandbox: sb, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return res, out.String()
}

func ttCode(res ToolResult) int {
	if res.ExitCode == nil {
		return -999
	}
	return *res.ExitCode
}

// TestTerminal200CommandsRightExitCodes: 200 calls one after another in one
// shell, each with its own exit code and output, whatever bash makes of
// the text (syntax errors, unclosed quotes, heredocs, TABs, Ctrl+C).
func TestTerminal200CommandsRightExitCodes(t *testing.T) {
	ttEachProvider(t, func(t *testing.T, sb sandbox.Sandbox) {
		tool := NewTerminalTool().(*TerminalTool)
		defer tool.Close()
		type step struct {
			args map[string]any
			out  string
			code int
		}
		cases := [][]step{
			{{map[string]any{"command": "echo hi"}, "hi\n", 0}},
			{{map[string]any{"command": "false"}, "", 1}},
			{{map[string]any{"command": "(exit 42)"}, "", 42}},
			{{map[string]any{"command": "if then fi"}, "bash: syntax error near unexpected token `then'\n", 2}},
			{{map[string]any{"command": "echo 'unclosed"}, "bash: unexpected EOF while looking for matching `''\n", 2}},
			{{map[string]any{"command": "cat <<'EOF'\na\tb 'q' \"d\" $x\nEOF"}, "a\tb 'q' \"d\" $x\n", 0}},
			{{map[string]any{"command": "for i in 1 2; do\n  echo \"n$i\"\ndone\ntest 1 = 2"}, "n1\nn2\n", 1}},
			{{map[string]any{"command": "printf 'x\\ty\\n'; printf '%s' '\\'"}, "x\ty\n\\", 0}},
			{{map[string]any{"command": "echo $'\\x01\\t'"}, "\x01\t\n", 0}},
			// A command that turns echo and output processing back on
			// does not change what the next one shows.
			{{map[string]any{"command": "stty echo opost"}, "", 0}, {map[string]any{"command": "printf 'a\\nb\\n'"}, "a\nb\n", 0}},
			// The shell exits: what it printed last is kept, the next call
			// gets a new shell.
			{{map[string]any{"command": "echo bye; exit 4"}, "bye\nexit\n", 4}},
			{
				{map[string]any{"command": "echo go; sleep 20", "timeout": 0.3}, "go\n", -1},
				{map[string]any{"command": "C-c", "is_input": true}, "", 130},
			},
		}
		n := 0
		for n < 200 {
			for _, c := range cases {
				for _, s := range c {
					res, out := ttCall(t, tool, sb, s.args)
					n++
					if ttCode(res) != s.code || out != s.out {
						t.Fatalf("call %d %v: exit %d output %q, want exit %d output %q\n%s", n, s.args, ttCode(res), out, s.code, s.out, res.Content)
					}
					if s.code == -1 && !res.Running {
						t.Fatalf("call %d: not reported as running: %+v", n, res)
					}
					if strings.Contains(res.Content, "\n\n[") {
						t.Fatalf("call %d: blank line before the notes:\n%q", n, res.Content)
					}
				}
			}
		}
	})
}

// TestTerminalStreamsPartialLines: a line without its newline reaches the
// writer while the command still runs.
func TestTerminalStreamsPartialLines(t *testing.T) {
	ttEachProvider(t, func(t *testing.T, sb sandbox.Sandbox) {
		tool := NewTerminalTool().(*TerminalTool)
		defer tool.Close()
		var out ttBuffer
		done := make(chan ToolResult, 1)
		go func() {
			res, _ := tool.Run(context.Background(), ToolCall{ID: "p", Sandbox: sb, Stdout: &out, Stderr: &out,
				Args: ttArgs(t, map[string]any{"command": "printf tick; sleep 2; printf tock"})})
			done <- res
		}()
		start := time.Now()
		for out.String() != "tick" {
			select {
			case res := <-done:
				t.Fatalf("ended before the partial line streamed: %q", res.Content)
			case <-time.After(2 * time.Millisecond):
			}
			if time.Since(start) > 1500*time.Millisecond {
				t.Fatalf("partial line not streamed after %s: %q", time.Since(start), out.String())
			}
		}
		res := <-done
		if res.Output != "ticktock" || ttCode(res) != 0 {
			t.Fatalf("final %+v", res)
		}
	})
}

// TestTerminalKeepsEveryByteWhenKilled: what a command printed before its
// timeout or cancel is all there.
func TestTerminalKeepsEveryByteWhenKilled(t *testing.T) {
	ttEachProvider(t, func(t *testing.T, sb sandbox.Sandbox) {
		tool := &TerminalTool{Timeout: 2 * time.Second}
		defer tool.Close()
		res, out := ttCall(t, tool, sb, map[string]any{"command": "echo before; printf 'no newline'; sleep 30"})
		if !res.TimedOut || ttCode(res) != -1 || res.Output != "before\nno newline" || out != res.Output {
			t.Fatalf("timeout: %+v (streamed %q)", res, out)
		}
		tool.Timeout = time.Minute
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var got ttBuffer
		res, err := tool.Run(ctx, ToolCall{ID: "k", Sandbox: sb, Stdout: &got, Args: ttArgs(t, map[string]any{"command": "echo before; sleep 30"})})
		if err != nil || !res.Interrupted || res.Output != "before\n" || got.String() != "before\n" {
			t.Fatalf("cancel: %+v %v", res, err)
		}
		// The shell is still good for the next command.
		if res, out = ttCall(t, tool, sb, map[string]any{"command": "echo next"}); out != "next\n" || ttCode(res) != 0 {
			t.Fatalf("after the kills: %q %s", out, res.Content)
		}
	})
}

// TestTerminalBinaryOutputByteExact: every byte value, NULs and invalid
// UTF-8 come through the terminal unchanged.
func TestTerminalBinaryOutputByteExact(t *testing.T) {
	corpus := ttBinaryCorpus(100 << 10)
	ttEachProvider(t, func(t *testing.T, sb sandbox.Sandbox) {
		if err := sb.WriteFile(context.Background(), "corpus.bin", corpus); err != nil {
			t.Fatal(err)
		}
		tool := NewTerminalTool().(*TerminalTool)
		defer tool.Close()
		res, out := ttCall(t, tool, sb, map[string]any{"command": "cat corpus.bin"})
		if ttCode(res) != 0 || res.OutputBytes != int64(len(corpus)) || !bytes.Equal([]byte(out), corpus) {
			t.Fatalf("got %d bytes (exit %d), want %d identical ones; first difference at %d", len(out), ttCode(res), len(corpus), ttFirstDiff([]byte(out), corpus))
		}
	})
}

func ttBinaryCorpus(n int) []byte {
	b := make([]byte, 0, n)
	for i := 0; len(b) < n; i++ {
		b = append(b, byte(i), 0, byte(255-i), '\n', 0xff, 0xfe, 0xc3, byte(i*7))
	}
	return b[:n]
}

func ttFirstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestTerminalIsInputDrivesARunningProgram: OpenHands' is_input: a call
// with "timeout" returns while the program waits; later calls type text
// and keys into it.
func TestTerminalIsInputDrivesARunningProgram(t *testing.T) {
	ttEachProvider(t, func(t *testing.T, sb sandbox.Sandbox) {
		tool := NewTerminalTool().(*TerminalTool)
		defer tool.Close()
		res, out := ttCall(t, tool, sb, map[string]any{"command": "read -p 'name? ' x; echo \"hi $x\"", "timeout": 0.5})
		if !res.Running || out != "name? " || !strings.Contains(res.Content, "still running") {
			t.Fatalf("prompt: %q %+v", out, res)
		}
		res, _ = ttCall(t, tool, sb, map[string]any{"command": "ls"})
		if !res.IsError || !strings.Contains(res.Content, "NOT run") {
			t.Fatalf("a new command while one runs: %+v", res)
		}
		if res, out = ttCall(t, tool, sb, map[string]any{"command": "bob", "is_input": true}); out != "hi bob\n" || ttCode(res) != 0 || res.Running {
			t.Fatalf("answer: %q %+v", out, res)
		}
		// Keys edit the line readline is reading: two to the left, delete
		// the character under the cursor, Enter.
		ttCall(t, tool, sb, map[string]any{"command": "read -e -i abc v; echo \"[$v]\"", "timeout": 0.3})
		res, out = ttCall(t, tool, sb, map[string]any{"command": "Left Left C-d Enter", "is_input": true})
		if !strings.HasSuffix(out, "[ac]\n") || ttCode(res) != 0 {
			t.Fatalf("arrows: %q %+v", out, res)
		}
		// C-d ends input; C-z stops a job, which job control then knows.
		ttCall(t, tool, sb, map[string]any{"command": "cat", "timeout": 0.3})
		if res, out = ttCall(t, tool, sb, map[string]any{"command": "line", "is_input": true, "timeout": 0.3}); out != "line\n" || !res.Running {
			t.Fatalf("input to cat: %q %+v", out, res)
		}
		if res, out = ttCall(t, tool, sb, map[string]any{"command": "C-d", "is_input": true}); out != "" || ttCode(res) != 0 {
			t.Fatalf("C-d: %q %+v", out, res)
		}
		ttCall(t, tool, sb, map[string]any{"command": "sleep 30", "timeout": 0.3})
		if res, out = ttCall(t, tool, sb, map[string]any{"command": "C-z", "is_input": true}); ttCode(res) != 148 || !strings.Contains(out, "Stopped") {
			t.Fatalf("C-z: %q %+v", out, res)
		}
		// wait skips a stopped job: bash notices its death whenever the
		// SIGCHLD comes, and prints "[1]+ Killed" into whatever command
		// runs then (the next one's output, under load). Poll until the
		// shell has reaped it, so the notice stays in this command.
		if res, _ = ttCall(t, tool, sb, map[string]any{"command": "kill -9 %1; while jobs %1 >/dev/null 2>&1; do sleep 0.01; done; echo ok"}); !strings.Contains(res.Output, "ok") {
			t.Fatalf("after C-z: %s", res.Content)
		}
		// An empty command waits for more output of a running one.
		ttCall(t, tool, sb, map[string]any{"command": "sleep 0.5; echo late", "timeout": 0.1})
		if res, out = ttCall(t, tool, sb, map[string]any{"command": ""}); out != "late\n" || ttCode(res) != 0 {
			t.Fatalf("empty command: %q %+v", out, res)
		}
		if res, _ = ttCall(t, tool, sb, map[string]any{"command": "x", "is_input": true}); !res.IsError {
			t.Fatalf("input with nothing running: %+v", res)
		}
	})
}

// TestTerminalKillLeavesNoProcess: timeout, cancel and the end of the
// session kill the command with everything it started: background jobs,
// nohup, setsid, a subshell's children.
func TestTerminalKillLeavesNoProcess(t *testing.T) {
	ttEachProvider(t, func(t *testing.T, sb sandbox.Sandbox) {
		for i, how := range []string{"timeout", "cancel", "close"} {
			tok := strconv.Itoa(970000 + 10*i + os.Getpid()%7)
			cmd := fmt.Sprintf("nohup sleep %[1]s1 >/dev/null 2>&1 & setsid sleep %[1]s2 & (sleep %[1]s3 &); bash -c 'trap \"\" INT; sleep %[1]s4' & (while :; do sleep %[1]s6; done) & echo started; sleep %[1]s5", tok)
			tool := &TerminalTool{Timeout: time.Hour}
			ctx, cancel := context.WithCancel(context.Background())
			args := map[string]any{"command": cmd}
			switch how {
			case "timeout":
				tool.Timeout = 2 * time.Second
			case "close":
				args["timeout"] = 1
			}
			if how == "cancel" {
				time.AfterFunc(2*time.Second, cancel)
			}
			res, err := tool.Run(ctx, ToolCall{ID: how, Sandbox: sb, Args: ttArgs(t, args)})
			cancel()
			if err != nil || !strings.Contains(res.Output, "started") {
				t.Fatalf("%s: %+v %v", how, res, err)
			}
			if n := ttCountProcs("sleep " + tok); n < 6 && how == "close" {
				t.Fatalf("%s: %d of the 6 sleeps run before close", how, n)
			}
			// The shell's end would kill everything: count first what the
			// timeout or the cancel left.
			if how == "close" {
				tool.Close()
			}
			deadline := time.Now().Add(2 * time.Second)
			for ttCountProcs("sleep "+tok) > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := ttCountProcs("sleep " + tok); n > 0 {
				o, _ := ttPS(tok)
				t.Errorf("%s: %d processes left:\n%s", how, n, o)
			}
			tool.Close()
		}
	})
}

// ttCountProcs counts live (not zombie) processes whose command line
// contains s; sandboxes' processes are visible from here.
func ttCountProcs(s string) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cl, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(bytes.ReplaceAll(cl, []byte{0}, []byte{' '})), s) {
			continue
		}
		if st, _ := os.ReadFile("/proc/" + e.Name() + "/stat"); bytes.Contains(st, []byte(") Z ")) {
			continue
		}
		n++
	}
	return n
}

// ttPS lists the processes whose command line holds s, for a failure.
func ttPS(s string) (string, error) {
	o, err := exec.Command("ps", "-eo", "pid,ppid,pgid,sid,stat,args").CombinedOutput()
	var keep []string
	for _, l := range strings.Split(string(o), "\n") {
		if strings.Contains(l, s) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n"), err
}
