package session

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

func ttTerm(t *testing.T, tool Tool, sb sandbox.Sandbox, cmd string) (ToolResult, string) {
	t.Helper()
	res, out, _, err := ttRun(t, tool, sb, "c", map[string]any{"command": cmd})
	if err != nil {
		t.Fatalf("%q: %v", cmd, err)
	}
	return res, out.String()
}

func TestTerminalBasicOutputAndExitCode(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	res, out, errb, err := ttRun(t, tool, sb, "c1", map[string]any{"command": "echo hello; echo oops >&2"})
	if err != nil {
		t.Fatal(err)
	}
	// One terminal: stdout and stderr arrive merged, in order, on stdout.
	if out.String() != "hello\noops\n" || errb.String() != "" {
		t.Fatalf("streams: stdout %q stderr %q", out.String(), errb.String())
	}
	ttContains(t, res.Content, "hello\n", "oops\n", "[The command completed with exit code 0.]", "[Current working directory: "+sb.WorkDir()+"]")
	if strings.Contains(res.Content, "tether-state") || strings.Contains(out.String(), "tether-state") {
		t.Fatalf("state trailer leaked: %q", res.Content)
	}
	if res.ExitCode == nil || *res.ExitCode != 0 || res.IsError {
		t.Fatalf("exit code %v, IsError %v", res.ExitCode, res.IsError)
	}

	res, _, _, _ = ttRun(t, tool, sb, "c2", map[string]any{"command": "false"})
	if res.ExitCode == nil || *res.ExitCode != 1 || res.IsError {
		t.Fatalf("false: exit code %v, IsError %v", res.ExitCode, res.IsError)
	}
	ttContains(t, res.Content, "[The command completed with exit code 1.]")
}

func TestTerminalStreamsBeforeCommandEnds(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	gate := filepath.Join(sb.WorkDir(), "go-on")
	var out ttBuffer
	done := make(chan ToolResult, 1)
	go func() {
		res, _ := tool.Run(context.Background(), ToolCall{ID: "s", Sandbox: sb, Stdout: &out, Stderr: &out,
			Args: ttArgs(t, map[string]any{"command": "echo first; while [ ! -e go-on ]; do sleep 0.02; done; echo second", "timeout": 30})})
		done <- res
	}()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(out.String(), "first") {
		select {
		case res := <-done:
			t.Fatalf("command ended before its first output was streamed: %q", res.Content)
		case <-deadline:
			t.Fatal("first line never streamed")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if strings.Contains(out.String(), "second") {
		t.Fatal("second line before the gate opened")
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := <-done
	ttContains(t, res.Content, "first\nsecond\n", "exit code 0")
}

func TestTerminalCwdPersists(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	ttTerm(t, tool, sb, "mkdir -p 'sub dir/x' && cd 'sub dir'")
	res, out := ttTerm(t, tool, sb, "pwd")
	want := filepath.Join(sb.WorkDir(), "sub dir")
	if strings.TrimSpace(out) != want {
		t.Fatalf("pwd after cd = %q, want %q", out, want)
	}
	ttContains(t, res.Content, "[Current working directory: "+want+"]")
	if got := tool.(*TerminalTool).Cwd(); got != want {
		t.Fatalf("Cwd() = %q, want %q", got, want)
	}
	// Relative cd from there, then `exit 3`: code reported, cwd kept.
	ttTerm(t, tool, sb, "cd x")
	res, _ = ttTerm(t, tool, sb, "cd / && exit 3")
	if res.ExitCode == nil || *res.ExitCode != 3 {
		t.Fatalf("exit 3 gave %v: %s", res.ExitCode, res.Content)
	}
	ttContains(t, res.Content, "exit code 3")
	_, out = ttTerm(t, tool, sb, "pwd")
	if strings.TrimSpace(out) != filepath.Join(want, "x") {
		t.Fatalf("after exit 3, pwd = %q, want %q", out, filepath.Join(want, "x"))
	}
	// The directory disappears: the next command runs in the work dir and says so.
	res, _ = ttTerm(t, tool, sb, "rm -rf "+shellQuote(want))
	ttContains(t, res.Content, "is gone")
	_, out = ttTerm(t, tool, sb, "pwd")
	if strings.TrimSpace(out) != sb.WorkDir() {
		t.Fatalf("pwd after its dir was removed = %q", out)
	}
}

func TestTerminalEnvPersists(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	ttTerm(t, tool, sb, `export FOO='a b'"'"'c
line2'; export PATH="$PWD/bin:$PATH"; unset HOME; LOCAL_ONLY=1; export LANG=C.UTF-8 U='héllo ✓ 12:3'`)
	_, out := ttTerm(t, tool, sb, `printf '%s|' "$FOO" "${HOME-unset}" "${LOCAL_ONLY-none}" "$U"; echo "$PATH" | cut -d: -f1`)
	// One shell: unexported variables persist too.
	want := "a b'c\nline2|unset|1|héllo ✓ 12:3|" + sb.WorkDir() + "/bin\n"
	if out != want {
		t.Fatalf("env after export/unset:\n got %q\nwant %q", out, want)
	}
	// What a killed command did before it was killed stays, as in a terminal.
	tool.(*TerminalTool).Timeout = 500 * time.Millisecond
	res, _, _, _ := ttRun(t, tool, sb, "k", map[string]any{"command": "export FOO=changed; sleep 30"})
	if res.ExitCode == nil || *res.ExitCode != -1 || !res.TimedOut {
		t.Fatalf("timeout exit code %v: %s", res.ExitCode, res.Content)
	}
	_, out = ttTerm(t, tool, sb, `echo "$FOO"`)
	if out != "changed\n" {
		t.Fatalf("FOO after killed command = %q", out)
	}
}

func TestTerminalTimeout(t *testing.T) {
	sb := ttSandbox(t)
	tool := &TerminalTool{Timeout: 1500 * time.Millisecond} // the zero value is usable
	res, out, _, err := ttRun(t, tool, sb, "t", map[string]any{"command": "echo started; sleep 20; echo never"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == nil || *res.ExitCode != -1 || res.IsError {
		t.Fatalf("exit code %v IsError %v", res.ExitCode, res.IsError)
	}
	ttContains(t, res.Content, "started\n[The command timed out after 1.5 seconds", "exit code -1", `"timeout"`)
	if strings.Contains(out.String(), "never") {
		t.Fatal("command ran past its timeout")
	}
	// The per-call "timeout" wins over the default.
	res, _, _, _ = ttRun(t, tool, sb, "t2", map[string]any{"command": "sleep 2; echo ok", "timeout": "20"})
	if *res.ExitCode != 0 {
		t.Fatalf("per-call timeout not applied: %s", res.Content)
	}
}

func TestTerminalReset(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	ttTerm(t, tool, sb, "mkdir d && cd d && export ZED=1")
	res := ttMust(t, tool, sb, map[string]any{"command": "", "reset": true})
	ttContains(t, res.Content, "reset", sb.WorkDir())
	_, out := ttTerm(t, tool, sb, `pwd; echo "${ZED-none}"`)
	if out != sb.WorkDir()+"\nnone\n" {
		t.Fatalf("after reset: %q", out)
	}
	// reset with a command runs it in the fresh state.
	ttTerm(t, tool, sb, "cd d")
	res = ttMust(t, tool, sb, map[string]any{"command": "pwd", "reset": true})
	ttContains(t, res.Content, sb.WorkDir()+"\n[The command")
}

func TestTerminalTruncatesHugeOutputAndSavesAll(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	res, out, _, err := ttRun(t, tool, sb, "call/huge 1", map[string]any{"command": "seq 1 200000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Content) > DefaultTerminalMaxOutput+1000 {
		t.Fatalf("observation is %d bytes", len(res.Content))
	}
	if len(out.String()) != len(seqText(200000)) {
		t.Fatalf("streamed %d bytes, want all %d", len(out.String()), len(seqText(200000)))
	}
	if res.OutputBytes != int64(len(seqText(200000))) {
		t.Fatalf("OutputBytes = %d", res.OutputBytes)
	}
	if res.FullOutputPath == "" || !strings.HasPrefix(res.FullOutputPath, sb.WorkDir()+"/.tether/output/") {
		t.Fatalf("FullOutputPath = %q", res.FullOutputPath)
	}
	ttContains(t, res.Content, "1\n2\n3\n", "199999\n200000\n", "Observation truncated", res.FullOutputPath, "exit code 0")
	if strings.Contains(res.Content, "\n100000\n") {
		t.Fatal("middle of the output was not cut")
	}
	// The marker's line numbers match what is shown around it.
	head, _, _ := strings.Cut(res.Content, "\n[... Observation truncated")
	lastShown := head[strings.LastIndex(strings.TrimSuffix(head, "\n"), "\n")+1:]
	n, _ := strconv.Atoi(strings.TrimSpace(lastShown))
	ttContains(t, res.Content, "(lines "+strconv.Itoa(n+1)+"-", "sed -n '"+strconv.Itoa(n+1)+","+strconv.Itoa(n+100)+"p' "+res.FullOutputPath)
	full, err := sb.ReadFile(context.Background(), res.FullOutputPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(full) != seqText(200000) {
		t.Fatalf("saved output differs: %d bytes", len(full))
	}
	ignore, err := sb.ReadFile(context.Background(), filepath.Join(sb.WorkDir(), ".tether", ".gitignore"))
	if err != nil || string(ignore) != "*\n" {
		t.Fatalf(".gitignore: %q %v", ignore, err)
	}
}

func TestTerminalSmallLimitAndChunkedSave(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool().(*TerminalTool)
	tool.MaxOutput = 100
	tool.OutputDir = filepath.Join(sb.WorkDir(), "logs")
	tool.uploadChunk = 64 // several parts, joined in the sandbox
	// Interleave stdout and stderr: the saved file keeps arrival order.
	res := ttMust(t, tool, sb, map[string]any{"command": "for i in $(seq 1 50); do echo out$i; echo err$i >&2; done"})
	full, err := sb.ReadFile(context.Background(), res.FullOutputPath)
	if err != nil {
		t.Fatal(err, res.Content)
	}
	if strings.Count(string(full), "\n") != 100 {
		t.Fatalf("saved output has %d lines, want 100:\n%s", strings.Count(string(full), "\n"), full)
	}
	if parts, _ := filepath.Glob(res.FullOutputPath + ".part*"); len(parts) != 0 {
		t.Fatalf("parts left behind: %v", parts)
	}
	for i := 1; i <= 50; i++ {
		ttContains(t, string(full), "out"+strconv.Itoa(i)+"\n", "err"+strconv.Itoa(i)+"\n")
	}
	if !strings.HasPrefix(res.FullOutputPath, tool.OutputDir) {
		t.Fatalf("FullOutputPath %q not in OutputDir", res.FullOutputPath)
	}
}

func TestTerminalSanitizesForModel(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	res, out, _, _ := ttRun(t, tool, sb, "n", map[string]any{"command": `printf 'a\0b\377c\033[31mred\n'`})
	if out.String() != "a\x00b\xffc\x1b[31mred\n" {
		t.Fatalf("stream altered: %q", out.String())
	}
	ttContains(t, res.Content, "a\u2400b\uFFFDc\x1b[31mred")
	if _, err := json.Marshal(res.Content); err != nil {
		t.Fatal(err)
	}
	// Output ending in NUL, then no newline: nothing held back or lost.
	_, out, _, _ = ttRun(t, tool, sb, "n2", map[string]any{"command": `printf 'x\0'`})
	if out.String() != "x\x00" {
		t.Fatalf("trailing NUL: %q", out.String())
	}
}

func TestTerminalInvalidCalls(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	for _, args := range []string{`{`, `{}`, `{"command": 5}`, `{"command": "  "}`, `{"command": "ls", "timeout": -1}`, `{"command": "echo a\u0000b"}`} {
		_, _, _, err := ttRun(t, tool, sb, "x", args)
		if err == nil {
			t.Errorf("%s: no error", args)
		} else if !strings.Contains(err.Error(), "command") && !strings.Contains(err.Error(), "timeout") {
			t.Errorf("%s: unhelpful error %v", args, err)
		}
	}
	res, _, _, err := ttRun(t, tool, sb, "x", `{"command": "y", "is_input": true}`)
	if err != nil || !res.IsError || !strings.Contains(res.Content, "No command is running") {
		t.Fatalf("is_input: %+v %v", res, err)
	}
	// Extra fields the model adds are ignored; string numbers/bools accepted.
	res = ttMust(t, tool, sb, `{"command": "echo ok", "security_risk": "LOW", "timeout": "10", "reset": "false"}`)
	ttContains(t, res.Content, "ok\n")
}

func TestTerminalDefinitionFollowsSettings(t *testing.T) {
	tool := NewTerminalTool().(*TerminalTool)
	def := tool.Definition()
	ttContains(t, def.Description, "after 120 seconds", "longer than 30000 characters")
	tool.Timeout, tool.MaxOutput = 90*time.Second, 5000
	def = tool.Definition()
	ttContains(t, def.Description, "after 90 seconds", "longer than 5000 characters")
	ttContains(t, string(def.Parameters), "killed after 90 seconds")
	if all := def.Description + string(def.Parameters); strings.Contains(all, "{timeout}") || strings.Contains(all, "{max-output}") || !json.Valid(def.Parameters) {
		t.Fatal("placeholders left or schema broken")
	}
}

func TestTerminalHugeTimeoutIsCapped(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	res := ttMust(t, tool, sb, map[string]any{"command": "echo ok", "timeout": 1e300})
	ttContains(t, res.Content, "ok\n", "exit code 0")
}

func TestTerminalDescribe(t *testing.T) {
	d := NewTerminalTool().(Describer)
	cmd, sum := d.Describe(json.RawMessage(`{"command": "make test\necho done"}`))
	if cmd != "make test\necho done" || sum != "make test…" {
		t.Fatalf("Describe = %q, %q", cmd, sum)
	}
	_, sum = d.Describe(json.RawMessage(`{"command": "", "reset": true}`))
	if sum != "reset the terminal" {
		t.Fatalf("reset summary %q", sum)
	}
}

func TestTerminalCancel(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	ctx, cancel := context.WithCancel(context.Background())
	var out ttBuffer
	done := make(chan ToolResult, 1)
	go func() {
		res, _ := tool.Run(ctx, ToolCall{ID: "c", Sandbox: sb, Stdout: &out, Stderr: &out, Args: ttArgs(t, map[string]any{"command": "echo go; sleep 30"})})
		done <- res
	}()
	for start := time.Now(); !strings.Contains(out.String(), "go"); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the command never started")
		}
	}
	cancel()
	select {
	case res := <-done:
		if res.ExitCode == nil || *res.ExitCode != -1 {
			t.Fatalf("exit code %v", res.ExitCode)
		}
		ttContains(t, res.Content, "interrupted")
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not stop the command")
	}
}

func seqText(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestTerminalShellSyntaxCases(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	// Here-documents, quotes and multi-line commands run as written.
	res, out := ttTerm(t, tool, sb, "mkdir -p h && cd h && cat > f.txt <<'EOF'\nit's $HOME \"quoted\"\nEOF\ncat f.txt")
	if out != "it's $HOME \"quoted\"\n" || *res.ExitCode != 0 {
		t.Fatalf("heredoc: %q %s", out, res.Content)
	}
	// A syntax error is reported like bash does, and the session survives.
	res, _ = ttTerm(t, tool, sb, "if then fi")
	if *res.ExitCode != 2 {
		t.Fatalf("syntax error exit code %d: %s", *res.ExitCode, res.Content)
	}
	ttContains(t, res.Content, "syntax error")
	_, out = ttTerm(t, tool, sb, "pwd")
	if strings.TrimSpace(out) != filepath.Join(sb.WorkDir(), "h") {
		t.Fatalf("cwd lost after a syntax error: %q", out)
	}
	// Tracing shows the command's own steps (one level down: it runs under
	// eval), nothing of the protocol, and
	// ends with the call.
	res, out = ttTerm(t, tool, sb, "set -x; cd /tmp; echo traced")
	if out != "++ cd /tmp\n++ echo traced\ntraced\n" || strings.Contains(res.Content, "tether") {
		t.Fatalf("set -x: stdout %q, content:\n%s", out, res.Content)
	}
	ttContains(t, res.Content, "[Current working directory: /tmp]")
	if _, out = ttTerm(t, tool, sb, "echo plain"); out != "plain\n" {
		t.Fatalf("after set -x: %q", out)
	}
	// `exec >/dev/null` cannot swallow the state: cd still persists.
	ttTerm(t, tool, sb, "exec >/dev/null; cd /")
	_, out = ttTerm(t, tool, sb, "pwd")
	if out != "/\n" {
		t.Fatalf("after exec >/dev/null; cd /: pwd %q", out)
	}
}

func TestTerminalStateFilterSplitWrites(t *testing.T) {
	// The trailer may arrive split at any byte; output around it must be
	// passed on intact and the state still read.
	marker := "@@tether-state-00ff@@"
	payload := "6:/w/sub1:13:A=11:23:A=13:B=2"
	stream := "before@@x@" + marker + payload + marker + "after@"
	for split := 1; split < len(stream); split++ {
		var got ttBuffer
		f := &stateFilter{dst: &got, marker: []byte(marker)}
		f.Write([]byte(stream[:split]))
		f.Write([]byte(stream[split:]))
		f.Flush()
		if got.String() != "before@@x@after@" {
			t.Fatalf("split %d: output %q", split, got.String())
		}
		st, ok := parseTrailer(f.payload)
		if !f.found || !ok || st.cwd != "/w/sub" || st.set["B"] != "2" || len(st.set) != 1 || len(st.unset) != 0 {
			t.Fatalf("split %d: state %+v ok=%v", split, st, ok)
		}
	}
	// A trailer cut short (killed command) yields no state and no garbage.
	var got ttBuffer
	f := &stateFilter{dst: &got, marker: []byte(marker)}
	f.Write([]byte("out" + marker + "6:/w/su"))
	f.Flush()
	if f.found || got.String() != "out" {
		t.Fatalf("cut trailer: found=%v out=%q", f.found, got.String())
	}
}

func TestTerminalUnderBwrap(t *testing.T) {
	sb, err := ttSandboxIso(t, local.IsolationBwrap)
	if err != nil {
		t.Skipf("bubblewrap isolation unavailable here: %v", err)
	}
	tool := NewTerminalTool().(*TerminalTool)
	tool.MaxOutput = 1000
	ttTerm(t, tool, sb, "mkdir -p a/b && cd a/b && export V=1")
	res, out := ttTerm(t, tool, sb, `pwd; echo "$V"; seq 1 5000 >&2`)
	if !strings.HasPrefix(out, filepath.Join(sb.WorkDir(), "a/b")+"\n1\n") {
		t.Fatalf("state under bwrap: %q", out)
	}
	// The saved output is readable from inside the sandbox.
	_, out = ttTerm(t, tool, sb, "wc -l < "+shellQuote(res.FullOutputPath))
	if strings.TrimSpace(out) != "5002" {
		t.Fatalf("saved output seen inside the sandbox has %q lines; observation:\n%s", out, res.Content)
	}
}
