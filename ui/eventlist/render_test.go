package eventlist

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/tether-dev/tether/session"
)

func mustContain(t *testing.T, view string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(view, s) {
			t.Errorf("view does not contain %q:\n%s", s, view)
		}
	}
}

func mustNotContain(t *testing.T, view string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(view, s) {
			t.Errorf("view contains %q:\n%s", s, view)
		}
	}
}

func TestEventKinds(t *testing.T) {
	m := plain(t)
	m.SetSize(100, 60)
	var f feed
	m.Append(f.user("please list files"))
	m.Append(f.delta("Sure, "))
	m.Append(f.delta("let me look"))
	v := m.View()
	mustContain(t, v, "› please list files", "● Sure, let me look")
	m.Append(f.assistant("Sure, I will list them."))
	v = m.View()
	mustContain(t, v, "● Sure, I will list them.")
	mustNotContain(t, v, "let me look")

	m.Append(f.action("c1", "ls -la"))
	mustContain(t, m.View(), "$ ls -la", "⋯ running")
	m.Append(f.output("c1", "total 0\nfile.txt\n"))
	m.Append(f.obs("c1", 0, 1500*time.Millisecond))
	v = m.View()
	mustContain(t, v, "$ ls -la ✓ 1.5s", "│ total 0", "│ file.txt")

	m.Append(f.action("c2", "false"))
	m.Append(f.obs("c2", 2, 30*time.Millisecond))
	mustContain(t, m.View(), "$ false ✗ exit 2 · 30ms")

	a := f.action("c3", "rm -rf /")
	a.Action.NeedsApproval = true
	m.Append(a)
	mustContain(t, m.View(), "$ rm -rf / ⏸ awaiting approval")
	m.Append(f.state(session.StateWaiting, session.StateRunning))
	rej := f.ev(session.KindObservation)
	rej.Observation = &session.Observation{ToolCallID: "c3", Tool: "terminal", Rejected: true, Content: "too dangerous"}
	m.Append(rej)
	v = m.View()
	mustContain(t, v, "$ rm -rf / ⊘ rejected", "reason: too dangerous")
	// One state line per approval: leaving it is shown by the call itself.
	mustNotContain(t, v, "awaiting approval", "→ running", "· working")

	ed := f.ev(session.KindAction)
	ed.Action = &session.Action{ToolCallID: "c4", Tool: "file_editor", Summary: "edit /w/hello.py", Args: json.RawMessage(`{"command":"str_replace"}`)}
	m.Append(ed)
	eo := f.ev(session.KindObservation)
	eo.Observation = &session.Observation{ToolCallID: "c4", Tool: "file_editor", Content: "edited",
		Diff: "--- a/w/hello.py\n+++ b/w/hello.py\n@@ -1 +1 @@\n-print('hi')\n+print('hello')\n"}
	m.Append(eo)
	v = m.View()
	mustContain(t, v, "✎ edit /w/hello.py ✓", "│ -print('hi')", "│ +print('hello')", "│ @@ -1 +1 @@")

	pl := f.ev(session.KindAction)
	pl.Action = &session.Action{ToolCallID: "c5", Tool: "task_tracker", Args: json.RawMessage(`{ "tasks": [ "a", "b" ] }`)}
	m.Append(pl)
	po := f.ev(session.KindObservation)
	po.Observation = &session.Observation{ToolCallID: "c5", Tool: "task_tracker", Content: "2 tasks planned"}
	m.Append(po)
	mustContain(t, m.View(), `⚙ task_tracker {"tasks":["a","b"]}`, "│ 2 tasks planned")

	m.Append(f.err("model unreachable"))
	fe := f.err("budget exceeded")
	fe.Error.Fatal = true
	m.Append(fe)
	mustContain(t, m.View(), "✗ error: model unreachable", "✗ run stopped: budget exceeded")

	u := f.ev(session.KindUsage)
	u.Usage = &session.Usage{PromptTokens: 10, CompletionTokens: 5}
	m.Append(u)
	mustNotContain(t, m.View(), "tokens 10 in")

	sb := f.ev(session.KindSandbox)
	sb.Sandbox = &session.SandboxInfo{ID: "sb-123", Provider: "local", State: "started"}
	m.Append(sb)
	mustContain(t, m.View(), "· sandbox sb-123 · local · started")

	d := f.action("c6", "whoami")
	d.Action.Direct = true
	m.Append(d)
	mustContain(t, m.View(), "$ whoami (you) ⋯ running")
}

func TestUsageShownWhenAsked(t *testing.T) {
	st := PlainStyles()
	m := New(Options{Styles: &st, ShowUsage: true})
	defer m.Close()
	m.SetSize(100, 5)
	var f feed
	u := f.ev(session.KindUsage)
	u.Usage = &session.Usage{PromptTokens: 10, CompletionTokens: 5, TotalPromptTokens: 10, TotalCompletionTokens: 5}
	m.Append(u)
	mustContain(t, m.View(), "tokens 10 in / 5 out", "cost unknown")
}

func TestPartialLinesStream(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 10)
	var f feed
	m.Append(f.action("c", "build"))
	m.Append(f.output("c", "compil"))
	mustContain(t, m.View(), "│ compil")
	m.Append(f.output("c", "ing...\nlinking"))
	v := m.View()
	mustContain(t, v, "│ compiling...", "│ linking")
	m.Append(f.output("c", " done\n"))
	mustContain(t, m.View(), "│ linking done")
	// A CRLF line ending is not shown as a control picture.
	m.Append(f.output("c", "windows\r\n"))
	v = m.View()
	mustContain(t, v, "│ windows")
	mustNotContain(t, v, "␍")
}

func TestRunningOutputShowsTail(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 30)
	var f feed
	m.Append(f.action("c", "seq 100"))
	for i := 1; i <= 100; i++ {
		m.Append(f.output("c", fmt.Sprintf("n%d\n", i)))
	}
	v := m.View()
	mustContain(t, v, "… 92 more lines", "│ n93", "│ n100")
	mustNotContain(t, v, "│ n92\n")
}

func TestExpandCollapse(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 200)
	var f feed
	toolWithLines(&f, m, "a", 100)
	v := m.View()
	mustContain(t, v, "│ line 1\n", "│ line 4\n", "… 92 more lines (space to expand)", "│ line 97", "│ line 100")
	mustNotContain(t, v, "│ line 50\n")
	press(m, "space")
	v = m.View()
	mustContain(t, v, "│ line 50\n", "│ line 100")
	mustNotContain(t, v, "more lines")
	press(m, "o")
	mustNotContain(t, m.View(), "│ line 50\n")

	toolWithLines(&f, m, "b", 30)
	press(m, "O")
	v = m.View()
	mustContain(t, v, "│ line 50\n", "│ line 20\n")
	press(m, "O")
	mustNotContain(t, m.View(), "│ line 50\n")
}

func TestLongDiffCollapses(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 80)
	var f feed
	ed := f.ev(session.KindAction)
	ed.Action = &session.Action{ToolCallID: "d", Tool: "file_editor", Summary: "create /w/big.txt"}
	m.Append(ed)
	var b strings.Builder
	b.WriteString("--- /dev/null\n+++ b/w/big.txt\n@@ -0,0 +1,40 @@\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "+row %d\n", i)
	}
	eo := f.ev(session.KindObservation)
	eo.Observation = &session.Observation{ToolCallID: "d", Tool: "file_editor", Diff: b.String()}
	m.Append(eo)
	v := m.View()
	mustContain(t, v, "│ +row 13\n", "… 27 more diff lines")
	mustNotContain(t, v, "+row 14\n")
	press(m, "space")
	mustContain(t, m.View(), "│ +row 40")
}

func TestMultiLineCommand(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 12)
	var f feed
	m.Append(f.action("m", "cat <<EOF > x.py\nprint(1)\nEOF\n"))
	m.Append(f.output("m", "ok\n"))
	m.Append(f.obs("m", 0, 0))
	v := m.View()
	mustContain(t, v, "$ cat <<EOF > x.py\n", "print(1)\n", "EOF ✓ 0ms")
	press(m, "enter")
	checkBox(t, m.View(), 60, 12)
	mustContain(t, m.View(), "$ cat <<EOF > x.py …")
}

func TestProgressBarLine(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 10)
	var f feed
	m.Append(f.action("p", "pip install x"))
	m.Append(f.output("p", "10%\r"))
	m.Append(f.output("p", "20%\r"))
	v := m.View()
	// As a terminal shows it: the latest state of the line.
	mustContain(t, v, "│ 20%")
	mustNotContain(t, v, "10%", "␍")
	m.Append(f.output("p", "100%\ndone\n"))
	m.Append(f.obs("p", 0, 0))
	v = m.View()
	mustContain(t, v, "│ 100%", "│ done")
	mustNotContain(t, v, "20%", "␍")
	press(m, "enter")
	mustContain(t, m.View(), "1 │ 100%")
}

func TestPendingClearedByOutput(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 10)
	var f feed
	a := f.action("x", "make")
	a.Action.NeedsApproval = true
	m.Append(a)
	mustContain(t, m.View(), "⏸ awaiting approval")
	m.Append(f.output("x", "building\n"))
	v := m.View()
	mustContain(t, v, "$ make ⋯ running")
	mustNotContain(t, v, "awaiting")
}

func TestTerminalStateFinishesOpenCalls(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 10)
	var f feed
	m.Append(f.action("x", "sleep 100"))
	m.Append(f.output("x", "half a line"))
	m.Append(f.state(session.StateRunning, session.StateCancelled))
	v := m.View()
	mustContain(t, v, "$ sleep 100 · no result", "│ half a line")
	for id, e := range m.calls {
		if !e.done {
			t.Fatalf("call %s still open after the run ended", id)
		}
	}
}

func TestSetStylesInvalidatesRenders(t *testing.T) {
	m := New(Options{SpillDir: t.TempDir()})
	defer m.Close()
	m.SetSize(40, 5)
	var f feed
	m.Append(f.user("hi"))
	if !strings.ContainsRune(m.View(), 0x1b) {
		t.Fatal("default styles should colour the prompt")
	}
	m.SetStyles(PlainStyles())
	if v := m.View(); strings.ContainsRune(v, 0x1b) || !strings.Contains(v, "› hi") {
		t.Fatalf("after SetStyles(PlainStyles()) the view is %q", v)
	}
}

func TestPaintMatchesRender(t *testing.T) {
	for _, st := range []Styles{DefaultStyles(false, false), DefaultStyles(true, true), PlainStyles()} {
		for _, s := range []lipgloss.Style{st.User, st.Fail, st.Dim, st.Header, st.Match} {
			if got, want := newPaint(s).on("abc def"), s.Render("abc def"); got != want {
				t.Errorf("paint %q != Render %q", got, want)
			}
		}
	}
}

func TestReusedToolCallIDs(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 20)
	var f feed
	m.Append(f.action("call_0", "echo one"))
	m.Append(f.output("call_0", "one\n"))
	m.Append(f.obs("call_0", 0, 0))
	m.Append(f.action("call_0", "echo two"))
	m.Append(f.output("call_0", "two\n"))
	m.Append(f.obs("call_0", 0, 0))
	// Direct commands may carry no ID at all.
	m.Append(f.action("", "ls"))
	m.Append(f.output("", "a\n"))
	m.Append(f.output("", "b\n"))
	m.Append(f.obs("", 0, 0))
	if m.Len() != 3 {
		t.Fatalf("%d entries, want 3", m.Len())
	}
	v := m.View()
	mustContain(t, v, "$ echo one ✓", "│ one", "$ echo two ✓", "│ two", "$ ls ✓", "│ a\n", "│ b")
}

// Esc while a call waits for approval: the call reads as cancelled, never
// as a failure.
func TestCancelledApprovalIsNotAFailure(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 20)
	var f feed
	a := f.action("c1", "rm -rf build")
	a.Action.NeedsApproval = true
	m.Append(a)
	o := f.ev(session.KindObservation)
	o.Observation = &session.Observation{ToolCallID: "c1", Tool: "terminal", IsError: true, NotRun: true,
		Content: "Cancelled by user: this tool call was not run (or was stopped)."}
	m.Append(o)
	st := f.state(session.StateWaiting, session.StateCancelled)
	st.State.Reason = "cancelled by user"
	m.Append(st)
	v := m.View()
	mustContain(t, v, "$ rm -rf build ⊘ cancelled, not run", "· cancelled by user")
	mustNotContain(t, v, "failed", "awaiting approval")
}
