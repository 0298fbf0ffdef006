package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// "cancelling the run…" must not outlive the cancel it announced.
func TestPendingNoticeGoesWithTheStateChange(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	press(m, "esc")
	if s := screen(m); !strings.Contains(s, "cancelling the run…") {
		t.Fatalf("no feedback for esc:\n%s", s)
	}
	eng.Emit(uitest.State(session.StateRunning, session.StateCancelled, "cancelled by user"))
	pump(m, eng)
	s := screen(m)
	if strings.Contains(s, "cancelling the run…") {
		t.Errorf("stale notice after the run was cancelled:\n%s", s)
	}
	last := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if bar := last[len(last)-1]; !strings.HasPrefix(bar, "■ cancelled │") {
		t.Errorf("status bar = %q, want the state without a reason that repeats it", bar)
	}
}

func TestApprovalTitleDoesNotRepeatTheTool(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	ev := evAction("f1", "", true)
	ev.Action.Tool, ev.Action.Command, ev.Action.Summary = "finish", "", "finish: all done"
	ev.Action.Args = []byte(`{"message":"all done"}`)
	eng.Emit(append(scriptRunning(), ev)...)
	pump(m, eng)
	s := screen(m)
	if strings.Contains(s, "finish  finish") || !strings.Contains(s, "finish  all done") {
		t.Errorf("approval title:\n%s", s)
	}
}

// In replay space is play/pause, so the list must not tell you to press it.
func TestReplayNamesItsOwnExpandKey(t *testing.T) {
	out := make([]string, 40)
	for i := range out {
		out[i] = "line"
	}
	evs := []session.Event{
		uitest.User("go"),
		evAction("c1", "seq 40", false),
		uitest.Output("c1", strings.Join(out, "\n")+"\n"),
		evObservation("c1", "", 0),
	}
	for i := range evs {
		evs[i].Time = time.Unix(1_700_000_000+int64(i), 0)
	}
	m := newReplayModel(t, evs)
	press(m, ">")
	s := screen(m)
	if strings.Contains(s, "space to expand") || !strings.Contains(s, "(o to expand)") {
		t.Fatalf("replay screen:\n%s", s)
	}
	// In the full view ←/→ scroll it: the hints must not offer replay's
	// stepping.
	press(m, "k", "j", "enter")
	if !m.m.stream.InFullView() {
		t.Fatalf("enter did not open the full view:\n%s", screen(m))
	}
	var keys []string
	for _, b := range m.m.shortHelp() {
		keys = append(keys, b.Help().Key+" "+b.Help().Desc)
	}
	if got := strings.Join(keys, " • "); strings.Contains(got, "step one event") || strings.Contains(got, "play") || !strings.Contains(got, "esc close") {
		t.Errorf("full-view hints in replay: %s", got)
	}
}

// A long line wraps inside the prompt box, and the box grows to show all
// of it rather than scrolling its start out of sight.
func TestPromptGrowsForWrappedText(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 50, 30)
	typeText(m, "first line that is long enough to wrap around in the box")
	press(m, "alt+enter")
	typeText(m, "second line")
	s := screen(m)
	for _, want := range []string{"› first line that", "in the box", "  second line"} {
		if !strings.Contains(s, want) {
			t.Errorf("prompt lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "› second line") {
		t.Errorf("continuation lines carry the prompt marker:\n%s", s)
	}
}

func TestApprovalTitleSkipsACutCommand(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	cmd := "for f in /etc/*.conf; do echo \"== $f\"; head -n 3 \"$f\"; done | grep -v '^#' | sort | uniq -c"
	ev := evAction("c1", cmd, true)
	ev.Action.Summary = cmd[:60] + "…"
	eng.Emit(append(scriptRunning(), ev)...)
	pump(m, eng)
	s := screen(m)
	if strings.Contains(s, "terminal  for f") || !strings.Contains(s, "$ for f in") {
		t.Errorf("approval panel:\n%s", s)
	}
}

func TestNoPauseHintForYourOwnCommand(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 200, 30)
	ev := evAction("d1", "sleep 9", false)
	ev.Action.Direct = true
	eng.Emit(uitest.State("", session.StateIdle, ""), ev)
	pump(m, eng)
	var keys []string
	for _, b := range m.m.shortHelp() {
		keys = append(keys, b.Help().Key)
	}
	got := strings.Join(keys, " ")
	if !strings.Contains(got, "esc") || strings.Contains(got, "ctrl+p") {
		t.Errorf("hints while your command runs: %s", got)
	}
}

func TestFailedSandboxShowsInTheStatusBar(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	sb := func(state string) session.Event {
		return session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{Provider: "daytona", State: state}}
	}
	eng.Emit(sb("creating"))
	pump(m, eng)
	lines := strings.Split(strings.TrimRight(screen(m), "\n"), "\n")
	if bar := lines[len(lines)-1]; !strings.HasPrefix(bar, "◌ starting sandbox…") {
		t.Errorf("status bar while the sandbox is created = %q", bar)
	}
	eng.Emit(sb("error"),
		session.Event{Kind: session.KindError, Error: &session.ErrorInfo{Message: "creating the sandbox: no capacity", Fatal: true}})
	pump(m, eng)
	lines = strings.Split(strings.TrimRight(screen(m), "\n"), "\n")
	if bar := lines[len(lines)-1]; !strings.HasPrefix(bar, "✗ no sandbox") {
		t.Errorf("status bar = %q", bar)
	}
	if strip := lines[0]; strings.Contains(strip, "up ") || !strings.Contains(strip, "error") {
		t.Errorf("strip = %q: a sandbox that never started has no uptime", strip)
	}
}
