package eventlist

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
)

func (f *feed) queued(cmds ...string) session.Event {
	e := f.ev(session.KindQueued)
	e.Queued = &session.Queued{}
	for i, c := range cmds {
		args, _ := json.Marshal(map[string]string{"command": c})
		e.Queued.Actions = append(e.Queued.Actions, session.Action{ToolCallID: string(rune('a' + i)), Tool: "terminal", Args: args, Command: c})
	}
	return e
}

// rowOf is the view's line showing command, or "".
func rowOf(v, command string) string {
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "$ "+command) {
			return l
		}
	}
	return ""
}

func TestQueuedCallsShownPendingInOrder(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 12)
	var f feed
	m.Append(f.queued("echo one", "echo two", "echo three"))
	v := m.View()
	one, two, three := strings.Index(v, "echo one"), strings.Index(v, "echo two"), strings.Index(v, "echo three")
	if one < 0 || !(one < two && two < three) {
		t.Fatalf("queued calls not all shown in order:\n%s", v)
	}
	for _, c := range []string{"echo one", "echo two", "echo three"} {
		if r := rowOf(v, c); !strings.HasSuffix(r, "· pending") {
			t.Errorf("%q row = %q, want a pending badge", c, r)
		}
	}
	m.Append(f.action("a", "echo one"))
	v = m.View()
	if r := rowOf(v, "echo one"); !strings.Contains(r, "⋯ running") {
		t.Errorf("started call row = %q, want running", r)
	}
	if strings.Count(v, "echo one") != 1 {
		t.Errorf("the started call is shown twice:\n%s", v)
	}
	m.Append(f.obs("a", 0, time.Second))
	m.Append(f.action("b", "echo two"))
	m.Append(f.obs("b", 0, time.Second))
	c := f.ev(session.KindObservation) // cancelled before it ran
	c.Observation = &session.Observation{ToolCallID: "c", Tool: "terminal", NotRun: true, IsError: true, Content: "Cancelled by user"}
	m.Append(c)
	v = m.View()
	if r := rowOf(v, "echo two"); !strings.Contains(r, "✓") {
		t.Errorf("done call row = %q", r)
	}
	if r := rowOf(v, "echo three"); !strings.Contains(r, "⊘ cancelled, not run") {
		t.Errorf("never-run call row = %q, want cancelled", r)
	}
	if strings.Contains(v, "pending") {
		t.Errorf("a call is left pending:\n%s", v)
	}
}

func TestQueuedCallNotPendingAfterRunEnds(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 12)
	var f feed
	m.Append(f.queued("echo one", "echo two"))
	m.Append(f.state(session.StateRunning, session.StateCancelled))
	if v := m.View(); strings.Contains(v, "pending") {
		t.Errorf("a call is left pending after the run ended:\n%s", v)
	}
}
