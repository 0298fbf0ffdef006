package fleet

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/uitest"
)

func twoEngines(buf int) []*fakeEngine {
	return []*fakeEngine{newFakeEngine("one", buf), newFakeEngine("two", buf)}
}

func TestSwitchFocusRoutesKeysToTheFocusedSession(t *testing.T) {
	engs := twoEngines(64)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	waitScreen(t, tm, "sessions 1/2")
	typeText(tm, "first")
	press(tm, "enter")
	waitFor(t, tm, "engine one got the prompt", func(*fleet) bool { return len(engs[0].Prompts()) == 1 })

	press(tm, "ctrl+l")
	waitFor(t, tm, "the list has focus", func(f *fleet) bool { return f.list })
	press(tm, "j")
	waitFor(t, tm, "second session shown", func(f *fleet) bool { return f.cur == 1 })
	// In the list, letters move the cursor; they reach no session.
	press(tm, "k", "j", "enter")
	waitFor(t, tm, "session two has the keyboard", func(f *fleet) bool { return f.cur == 1 && !f.list })
	typeText(tm, "second")
	press(tm, "enter")
	waitFor(t, tm, "engine two got the prompt", func(*fleet) bool { return len(engs[1].Prompts()) == 1 })
	if got := engs[0].Prompts(); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("engine one prompts = %q", got)
	}
	if got := engs[1].Prompts(); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("engine two prompts = %q", got)
	}
	press(tm, "f2")
	waitFor(t, tm, "f2 opens the list", func(f *fleet) bool { return f.list })
	press(tm, "f2")
	waitFor(t, tm, "f2 goes back", func(f *fleet) bool { return !f.list })
	tm.Send(tea.KeyPressMsg{Code: '1', Mod: tea.ModAlt})
	waitFor(t, tm, "alt+1 goes to session one", func(f *fleet) bool { return f.cur == 0 && !f.list })
	tm.Send(tea.KeyPressMsg{Code: '7', Mod: tea.ModAlt})
	waitScreen(t, tm, "there is no session 7")
	_ = tm.Quit()
}

// An unfocused session's events are read as they come: its engine's small
// buffer never fills, and its screen has taken in every event.
func TestUnfocusedSessionKeepsConsumingEvents(t *testing.T) {
	engs := twoEngines(2)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	waitScreen(t, tm, "sessions 1/2")
	const n = 500
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		engs[1].Emit(evSandbox("sbx-two", "started"), uitest.User("busy work"),
			uitest.State(session.StateIdle, session.StateRunning, ""))
		for i := range n {
			engs[1].Emit(uitest.Output("c1", fmt.Sprintf("line %d\n", i)))
		}
	}()
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the unfocused engine's channel filled up: its events are not being read")
	}
	waitFor(t, tm, "session two took every event while session one had focus", func(f *fleet) bool {
		return f.cur == 0 && f.sess[1].m.Summary().Events == n+3
	})
	scr := waitScreen(t, tm, "sbx-two")
	if !strings.Contains(scr, "#2 ● running") {
		t.Fatalf("the list does not show session two running:\n%s", scr)
	}
	_ = tm.Quit()
}

func running(engs ...*fakeEngine) {
	for _, e := range engs {
		e.Emit(scriptRunning("sbx-"+e.name, "task "+e.name, 0.01, true)...)
	}
}

func TestCancelSelectedReachesOnlyThatEngine(t *testing.T) {
	engs := twoEngines(64)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	running(engs...)
	waitFor(t, tm, "both running", func(f *fleet) bool { return f.busyCount() == 2 })
	press(tm, "ctrl+l", "j", "x")
	waitScreen(t, tm, "cancelling #2")
	if engs[1].Count("Cancel") != 1 || engs[0].Count("Cancel") != 0 {
		t.Fatalf("Cancel calls: one=%d two=%d", engs[0].Count("Cancel"), engs[1].Count("Cancel"))
	}
	_ = tm.Quit()
}

func TestCancelAllAsksThenReachesEveryRunningEngine(t *testing.T) {
	engs := append(twoEngines(64), newFakeEngine("idle", 64))
	tm := startFleet(t, engs, testOptions(), 120, 30)
	running(engs[0], engs[1])
	waitFor(t, tm, "two running", func(f *fleet) bool { return f.busyCount() == 2 })
	press(tm, "ctrl+l", "X")
	waitScreen(t, tm, "Cancel the runs of 2 sessions?")
	press(tm, "n")
	waitFor(t, tm, "the question is gone", func(f *fleet) bool { return f.confirm == confirmNone })
	if engs[0].Count("Cancel")+engs[1].Count("Cancel") != 0 {
		t.Fatal("cancelled although the user said no")
	}
	press(tm, "X", "y")
	waitScreen(t, tm, "cancelling 2 runs")
	for _, e := range engs[:2] {
		if e.Count("Cancel") != 1 {
			t.Fatalf("engine %s: Cancel calls = %d", e.name, e.Count("Cancel"))
		}
	}
	if engs[2].Count("Cancel") != 0 {
		t.Fatal("the idle session was cancelled")
	}
	_ = tm.Quit()
}

// Quitting shuts every engine down at once: no engine's Shutdown waits for
// another's.
func TestQuitShutsDownEveryEngineConcurrently(t *testing.T) {
	engs := twoEngines(64)
	var releases []func()
	for _, e := range engs {
		releases = append(releases, e.BlockShutdown())
	}
	tm := startFleet(t, engs, testOptions(), 120, 30)
	engs[0].Emit(evSandbox("sbx-one", "started"))
	engs[1].Emit(evSandbox("sbx-two", "started"))
	waitScreen(t, tm, "sbx-two")
	press(tm, "ctrl+q")
	for _, e := range engs {
		select {
		case <-e.InShutdown():
		case <-time.After(5 * time.Second):
			t.Fatalf("engine %s: Shutdown not called while the others were still shutting down", e.name)
		}
	}
	scr := waitScreen(t, tm, "shutting down 2 sessions")
	if !strings.Contains(scr, "#1") || !strings.Contains(scr, "#2") {
		t.Fatalf("teardown does not list both sessions:\n%s", scr)
	}
	for _, release := range releases {
		release()
	}
	fm := finalFleet(t, tm)
	for _, e := range engs {
		if e.Count("Shutdown") != 1 {
			t.Fatalf("engine %s: Shutdown calls = %d", e.name, e.Count("Shutdown"))
		}
	}
	for _, s := range fm.f.sess {
		log := strings.Join(s.m.TeardownLog(), "\n")
		if !strings.Contains(log, "destroyed") || !strings.HasSuffix(log, "done") {
			t.Fatalf("%s teardown log:\n%s", s.name, log)
		}
	}
	if errs := fm.ShutdownErrs(); len(errs) != 0 {
		t.Fatal(errs)
	}
}

func TestQuitWhileRunningConfirms(t *testing.T) {
	engs := twoEngines(64)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	running(engs[1])
	waitFor(t, tm, "two running", func(f *fleet) bool { return f.busyCount() == 1 })
	press(tm, "ctrl+q")
	waitScreen(t, tm, "1 session is still running")
	press(tm, "n")
	waitFor(t, tm, "still open", func(f *fleet) bool { return f.confirm == confirmNone && !f.quitting })
	if engs[0].Count("Shutdown")+engs[1].Count("Shutdown") != 0 {
		t.Fatal("shut down although the user said no")
	}
	// Asking to quit from inside a session (ctrl+c twice when idle) asks
	// the fleet too, and quitting takes every session down.
	press(tm, "ctrl+c", "ctrl+c")
	waitScreen(t, tm, "1 session is still running")
	press(tm, "y")
	finalFleet(t, tm)
	for _, e := range engs {
		if e.Count("Shutdown") != 1 {
			t.Fatalf("engine %s: Shutdown calls = %d", e.name, e.Count("Shutdown"))
		}
	}
}

func TestShutdownFailureWaitsForAKey(t *testing.T) {
	engs := twoEngines(64)
	engs[1].FailShutdown(errShutdown)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	press(tm, "ctrl+q")
	waitScreen(t, tm, "Press any key to exit")
	waitScreen(t, tm, "503 service unavailable")
	press(tm, "z")
	fm := finalFleet(t, tm)
	errs := fm.ShutdownErrs()
	if !errors.Is(errs["#2"], errShutdown) || len(errs) != 1 {
		t.Fatalf("ShutdownErrs = %v", errs)
	}
}

func TestNewSessionFromTheFactory(t *testing.T) {
	engs := twoEngines(64)
	made := make(chan *fakeEngine, 4)
	opts := testOptions()
	n := 0
	opts.NewEngine = func() (ui.Engine, error) {
		n++
		if n == 2 {
			return nil, errors.New("provider down")
		}
		e := newFakeEngine(fmt.Sprintf("new%d", n), 64)
		made <- e
		return e, nil
	}
	tm := startFleet(t, engs[:1], opts, 120, 30)
	press(tm, "ctrl+n")
	waitFor(t, tm, "a second session, focused", func(f *fleet) bool { return len(f.sess) == 2 && f.cur == 1 && !f.list })
	e := <-made
	e.Emit(evSandbox("sbx-new", "started"))
	waitScreen(t, tm, "sbx-new")
	typeText(tm, "hi")
	press(tm, "enter")
	waitFor(t, tm, "the new engine got the prompt", func(*fleet) bool { return slices.Equal(e.Prompts(), []string{"hi"}) })
	press(tm, "ctrl+n")
	waitScreen(t, tm, "provider down")
	press(tm, "ctrl+q")
	finalFleet(t, tm)
	if e.Count("Shutdown") != 1 || engs[0].Count("Shutdown") != 1 {
		t.Fatal("the new session was not shut down on quit")
	}
}

func TestCloseOneSession(t *testing.T) {
	engs := twoEngines(64)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	running(engs[1])
	waitFor(t, tm, "two running", func(f *fleet) bool { return f.busyCount() == 1 })
	press(tm, "ctrl+l", "j", "d")
	waitScreen(t, tm, "#2 is still running")
	press(tm, "y")
	waitFor(t, tm, "session two gone from the list", func(f *fleet) bool { return len(f.sess) == 1 && f.sess[0].name == "#1" })
	waitFor(t, tm, "the notice says it is closed", func(f *fleet) bool { return f.notice == "closed #2" })
	if engs[1].Count("Shutdown") != 1 || engs[0].Count("Shutdown") != 0 {
		t.Fatalf("Shutdown calls: one=%d two=%d", engs[0].Count("Shutdown"), engs[1].Count("Shutdown"))
	}
	// An idle session closes without a question.
	press(tm, "d")
	waitFor(t, tm, "no sessions left", func(f *fleet) bool { return len(f.sess) == 0 })
	waitScreen(t, tm, "No sessions.")
	press(tm, "ctrl+q")
	finalFleet(t, tm)
	if engs[0].Count("Shutdown") != 1 {
		t.Fatalf("engine one: Shutdown calls = %d", engs[0].Count("Shutdown"))
	}
}

func TestTagRoutesEveryKindOfMessage(t *testing.T) {
	type mine struct{ n int }
	one := func() tea.Msg { return mine{1} }
	two := func() tea.Msg { return mine{2} }
	check := func(msg tea.Msg, n int) {
		t.Helper()
		cm, ok := msg.(childMsg)
		if !ok || cm.id != 7 || cm.msg != (mine{n}) {
			t.Fatalf("got %#v, want mine{%d} for session 7", msg, n)
		}
	}
	check(tag(7, one)(), 1)
	// A batch stays a batch (the program runs it) with each command tagged.
	b, ok := tag(7, tea.Batch(one, two))().(tea.BatchMsg)
	if !ok || len(b) != 2 {
		t.Fatalf("batch became %#v", b)
	}
	check(b[0](), 1)
	check(b[1](), 2)
	// A sequence keeps tea's own (unexported) type.
	seq := tea.Sequence(one, two)()
	got := tag(7, tea.Sequence(one, two))()
	if reflect.TypeOf(got) != reflect.TypeOf(seq) {
		t.Fatalf("sequence became %T, want %T", got, seq)
	}
	check(reflect.ValueOf(got).Index(1).Interface().(tea.Cmd)(), 2)
	// Quitting is that session's business only.
	if got := tag(7, tea.Quit)(); got != (childQuitMsg{7}) {
		t.Fatalf("quit became %#v", got)
	}
	// The program's own requests pass through untouched.
	req := tea.RequestBackgroundColor()
	if got := tag(7, tea.RequestBackgroundColor)(); reflect.TypeOf(got) != reflect.TypeOf(req) {
		t.Fatalf("background colour request became %T", got)
	}
	if tag(7, nil) != nil || tag(7, func() tea.Msg { return nil })() != nil {
		t.Fatal("nil commands or messages must stay nil")
	}
}

func TestMouseSelectsAndFocuses(t *testing.T) {
	engs := twoEngines(64)
	tm := startFleet(t, engs, testOptions(), 120, 30)
	waitScreen(t, tm, "sessions 1/2")
	// Session two's rows start on line 1+3 of the side list.
	tm.Send(tea.MouseClickMsg{X: 5, Y: 5, Button: tea.MouseLeft})
	waitFor(t, tm, "a click in the list selects session two", func(f *fleet) bool { return f.cur == 1 && f.list })
	// A click in the session's prompt gives it the keyboard.
	tm.Send(tea.MouseClickMsg{X: 60, Y: 26, Button: tea.MouseLeft})
	waitFor(t, tm, "a click in the session focuses it", func(f *fleet) bool { return f.cur == 1 && !f.list })
	typeText(tm, "typed")
	press(tm, "enter")
	waitFor(t, tm, "engine two got the prompt", func(*fleet) bool { return slices.Equal(engs[1].Prompts(), []string{"typed"}) })
	_ = tm.Quit()
}
