package eventlist

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
)

func sandboxEv(f *feed, id, state string) session.Event {
	ev := f.ev(session.KindSandbox)
	ev.Sandbox = &session.SandboxInfo{ID: id, Provider: "local", State: state}
	return ev
}

func TestSandboxStatesShareALine(t *testing.T) {
	m := plain(t)
	m.SetSize(100, 20)
	var f feed
	m.Append(sandboxEv(&f, "", "creating"))
	started := sandboxEv(&f, "local-1", "started")
	started.Sandbox.Isolation = "bwrap"
	m.Append(started)
	v := m.View()
	mustContain(t, v, "· sandbox local-1 · local · creating → started · isolation bwrap")
	mustNotContain(t, v, "sandbox  ·", "sandbox · local · creating")
	if m.Len() != 1 {
		t.Fatalf("%d entries, want one line for both states", m.Len())
	}

	// Once something else is shown, later states start a line of their own.
	m.Append(f.user("hi"))
	m.Append(sandboxEv(&f, "local-1", "destroying"))
	m.Append(sandboxEv(&f, "local-1", "deleted"))
	v = m.View()
	mustContain(t, v, "· sandbox local-1 · local · destroying → deleted")
	if m.Len() != 3 {
		t.Fatalf("%d entries, want 3", m.Len())
	}
	// A different sandbox never joins another's line.
	m.Append(sandboxEv(&f, "local-2", "creating"))
	if m.Len() != 4 {
		t.Fatalf("%d entries, want 4", m.Len())
	}
}

func TestResultBodiesLeaveOutWhatIsShownElsewhere(t *testing.T) {
	m := plain(t)
	m.SetSize(100, 30)
	var f feed
	m.Append(f.action("c1", "false"))
	o := f.obs("c1", 1, 9*time.Millisecond)
	o.Observation.Content = "[The command completed with exit code 1.]\n[Current working directory: /w]"
	m.Append(o)

	fin := f.ev(session.KindAction)
	fin.Action = &session.Action{ToolCallID: "c2", Tool: "finish", Summary: "finish: all done", Args: json.RawMessage(`{"message":"all done"}`)}
	m.Append(fin)
	fo := f.ev(session.KindObservation)
	fo.Observation = &session.Observation{ToolCallID: "c2", Tool: "finish", Content: "all done"}
	m.Append(fo)

	m.Append(f.action("c3", "sleep 9"))
	io := f.obs("c3", -1, 2*time.Second)
	io.Observation.Content = "[The command was interrupted and killed (exit code -1).]\n[Current working directory: /w]\n[cancelled by user]"
	io.Observation.Interrupted, io.Observation.Cwd = true, "/w"
	m.Append(io)

	rej := f.ev(session.KindObservation)
	m.Append(f.action("c4", "rm x"))
	rej.Observation = &session.Observation{ToolCallID: "c4", Tool: "terminal", Rejected: true, Content: "The user rejected this action. Reason: not now"}
	m.Append(rej)

	v := m.View()
	mustContain(t, v, "$ false ✗ exit 1 · 9ms", "⚙ finish: all done ✓", "$ sleep 9 ■ interrupted · 2.0s", "reason: not now")
	mustNotContain(t, v, "completed with exit code", "Current working directory", "finish finish", "│ all done", "The user rejected",
		"[The command was interrupted", "[cancelled by user]")
}

func TestRunErrorIsSaidOnce(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 20)
	var f feed
	msg := "LLM call failed: could not get a reply from http://127.0.0.1:8099/v1/chat/completions: connection refused"
	e := f.err(msg)
	e.Error.Fatal = true
	m.Append(e)
	st := f.state(session.StateRunning, session.StateError)
	st.State.Reason = msg
	m.Append(st)
	v := m.View()
	mustContain(t, v, "· stopped")
	if n := strings.Count(v, "refused"); n != 1 {
		t.Errorf("the error is shown %d times:\n%s", n, v)
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "…") {
			t.Errorf("an error row was cut instead of wrapped: %q", l)
		}
	}
}

func TestWrappedCommandIsIndented(t *testing.T) {
	m := plain(t)
	m.SetSize(40, 10)
	var f feed
	m.Append(f.action("c1", "for f in /etc/*.conf; do head -n 3 $f; done | sort | uniq -c"))
	var dollar, cont int = -1, -1
	for _, l := range strings.Split(m.View(), "\n") {
		if i := strings.Index(l, "$ for"); i >= 0 {
			dollar = i
		} else if dollar >= 0 && cont < 0 && strings.TrimSpace(l) != "" {
			body := l[2:] // past the selection gutter
			cont = 2 + len(body) - len(strings.TrimLeft(body, " "))
		}
	}
	if dollar < 0 || cont != dollar+2 {
		t.Errorf("command at column %d, its continuation at %d:\n%s", dollar, cont, m.View())
	}
}

func TestHugeOutputPointsToTheFullView(t *testing.T) {
	for _, c := range []struct {
		lines int
		want  string
	}{{30, "(space to expand)"}, {2000, "(enter: full output)"}} {
		m := plain(t)
		m.SetSize(80, 30)
		var f feed
		m.Append(f.action("c1", "seq"))
		m.Append(f.output("c1", strings.Repeat("x\n", c.lines)))
		m.Append(f.obs("c1", 0, time.Millisecond))
		mustContain(t, m.View(), c.want)
	}
}
