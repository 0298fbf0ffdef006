package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2ETUITakeTheWheel: during a run the user takes the wheel (ctrl+]):
// the agent's tool call finishes and the agent waits; in the sandbox's
// shell, full-screen, the user runs commands (one left in the
// background) and hands back; the stream shows what they did, the
// model's next request carries the summary, the recording has the event,
// the export shows it, and nothing of the user's is left running.
func TestE2ETUITakeTheWheel(t *testing.T) {
	for _, provider := range []string{"local", "daytona"} {
		t.Run(provider, func(t *testing.T) { takeTheWheel(t, provider) })
	}
}

func takeTheWheel(t *testing.T, provider string) {
	e := newEnv(t, provider)
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "sleep 1.5; echo agent-wrote > a.txt"})),
		llmtest.TextReply("I see what you did"),
	)
	u := e.startTUI()
	u.waitScreen("started", 30*time.Second)
	u.typeLine("write a.txt")
	u.waitScreen("sleep 1.5", 30*time.Second)
	start := time.Now()
	u.keys("C-]")
	u.waitScreen("your shell in", 30*time.Second)
	u.waitScreen("agent paused", 10*time.Second)
	u.waitScreen("(you)", 10*time.Second)
	t.Logf("ctrl+] → shell on screen (after the agent's step): %s (load %s)", time.Since(start), loadavg())
	u.typeLine("cat a.txt; echo hi > f")
	u.waitScreen("agent-wrote", 10*time.Second)
	u.typeLine("nohup sleep " + e.marker + " >/dev/null 2>&1 &")
	u.typeLine("printf '\\033]0;PWNED\\007\\033]52;c;cHduZWQ=\\007done-%s\\n' x")
	u.waitScreen("done-x", 10*time.Second)
	if title, _ := u.tmux("display-message", "-p", "-t", "main", "#{pane_title}"); strings.Contains(title, "PWNED") {
		t.Errorf("the sandbox set the terminal's title: %q", title)
	}
	ptys := e.ptySessions()
	if provider == "daytona" && ptys != 2 {
		t.Errorf("%d PTY sessions on the daemon with the wheel taken, want 2 (the agent's terminal and yours)", ptys)
	}
	if len(e.llm.Requests()) != 1 {
		t.Fatalf("the model was called %d times while the user had the wheel", len(e.llm.Requests()))
	}
	u.keys("C-]")
	u.waitScreen("you took the wheel", 30*time.Second)
	u.waitScreen("I see what you did", 30*time.Second)
	if n := e.ptySessions(); provider == "daytona" && n != 1 {
		t.Errorf("%d PTY sessions on the daemon after hand-back, want 1 (the agent's terminal)", n)
	}
	if procs := markedProcs(e.marker); len(procs) != 0 {
		t.Errorf("the user's background job outlived the hand-back: %v", procs)
	}
	reqs := e.llm.Requests()
	msgs := reqs[len(reqs)-1].Messages
	note := msgs[len(msgs)-1].Content
	for _, want := range []string{"took over the sandbox's shell", "`cat a.txt; echo hi > f` (exit code 0)", "added f"} {
		if !strings.Contains(note, want) {
			t.Errorf("the model's next request lacks %q; it ends with:\n%s", want, note)
		}
	}
	if strings.Contains(note, "a.txt\n") && strings.Contains(note, "added a.txt") {
		t.Errorf("the agent's own file is counted as the user's:\n%s", note)
	}
	u.keys("C-q")
	u.waitScreen("y", 10*time.Second)
	u.keys("y")
	u.waitExit(30 * time.Second)
	recs, _ := filepath.Glob(filepath.Join(e.recordDir(), "*.jsonl"))
	if len(recs) != 1 {
		t.Fatalf("recordings: %v", recs)
	}
	wheels := 0
	for _, ev := range readEvents(t, recs[0]) {
		if ev.Kind == "wheel" {
			wheels++
		}
	}
	if wheels != 1 {
		t.Fatalf("the recording has %d wheel events, want 1", wheels)
	}
	out, stderr, code := e.run(30*time.Second, "export", recs[0], "--format", "md")
	if code != 0 || !strings.Contains(out, "You took the wheel") || !strings.Contains(out, "echo hi > f") {
		t.Errorf("export (exit %d) does not show the wheel:\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out, "\x1b]") {
		t.Error("the export carries an escape sequence")
	}
	e.assertNoLeaks("tui-wheel-" + provider)
}

// ptySessions counts the PTY sessions on the real daemon of the one live
// Daytona sandbox (-1 when there is none).
func (e *e2eEnv) ptySessions() int {
	ids := e.live()
	if e.dayEnv == nil || len(ids) != 1 {
		return -1
	}
	d, ok := e.dayEnv.Daemon(ids[0])
	if !ok {
		return -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ptys, err := d.PtySessions(ctx)
	if err != nil {
		e.t.Errorf("PTY sessions: %v", err)
		return -1
	}
	return len(ptys)
}
