package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// probe asks the running program for its current screen; probed wraps
// the model so the answer is produced on the program's own goroutine.
type probe struct{ reply chan probeReply }

type probeReply struct {
	screen   string
	raw      string // the screen with its styles
	appended int    // events the screen has taken in
}

type probed struct{ Model }

func (p probed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if pr, ok := msg.(probe); ok {
		pr.reply <- probeReply{screen(p.Model), p.Model.View().Content, p.m.appended}
		return p, nil
	}
	_, cmd := p.Model.Update(msg)
	return p, cmd
}

// waitScreen polls the live program until it has taken in events events
// and its screen contains want.
func waitScreen(t *testing.T, tm *teatest.TestModel, events int, want string) string {
	t.Helper()
	return waitReply(t, tm, events, want).screen
}

func waitReply(t *testing.T, tm *teatest.TestModel, events int, want string) probeReply {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last probeReply
	for time.Now().Before(deadline) {
		pr := probe{reply: make(chan probeReply, 1)}
		tm.Send(pr)
		select {
		case last = <-pr.reply:
		case <-time.After(time.Second):
			continue
		}
		if last.appended >= events && strings.Contains(last.screen, want) {
			return last
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q after %d events (has %d); last screen:\n%s", want, events, last.appended, last.screen)
	return last
}

var goldenSizes = [][2]int{{80, 24}, {160, 48}}

// runGolden starts the real program over a fake engine, lets script drive
// it, waits for marker and compares the screen with testdata/<name>_WxH.golden.
func runGolden(t *testing.T, name string, newModel func(eng *fakeEngine) Model, script func(tm *teatest.TestModel, eng *fakeEngine), marker string) {
	t.Helper()
	runGoldenAs(t, false, newModel, script, marker)
}

// runGoldenStyled is runGolden comparing the screen with its escape
// sequences (the golden shows them quoted), for what only styles show.
func runGoldenStyled(t *testing.T, newModel func(eng *fakeEngine) Model, script func(tm *teatest.TestModel, eng *fakeEngine), marker string) {
	t.Helper()
	runGoldenAs(t, true, newModel, script, marker)
}

func runGoldenAs(t *testing.T, styled bool, newModel func(eng *fakeEngine) Model, script func(tm *teatest.TestModel, eng *fakeEngine), marker string) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			eng := newFakeEngine()
			m := newModel(eng)
			t.Cleanup(func() { _ = m.Close() })
			tm := teatest.NewTestModel(t, probed{m}, teatest.WithInitialTermSize(sz[0], sz[1]))
			script(tm, eng)
			events := int(eng.Seq())
			if m.m.replay != nil {
				events = len(m.m.replay.events)
			}
			got := waitReply(t, tm, events, marker)
			if styled {
				golden.RequireEqual(t, got.raw)
			} else {
				golden.RequireEqual(t, got.screen)
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		})
	}
}

func interactive(eng *fakeEngine) Model { return New(eng, testOptions()) }

func TestGoldenIdleNoModel(t *testing.T) {
	runGolden(t, "idle_nomodel", func(eng *fakeEngine) Model {
		eng.info = EngineInfo{Provider: "local", NoModelHint: "set LLM_API_KEY and LLM_MODEL (or run `tether config`)"}
		return interactive(eng)
	}, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(evSandbox("creating"), evSandbox("started"))
	}, "started")
}

func TestGoldenRunning(t *testing.T) {
	runGolden(t, "running", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(scriptRunning()...)
	}, "$0.0123")
}

func TestGoldenApproval(t *testing.T) {
	runGolden(t, "approval", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(scriptApproval()...)
	}, "approval needed")
}

func TestGoldenCancelled(t *testing.T) {
	runGolden(t, "cancelled", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(scriptRunning()...)
		eng.Emit(
			evObservation("c1", "killed", -1),
			uitest.State(session.StateRunning, session.StateCancelled, "cancelled by user"),
		)
	}, "cancelled by user")
}

func TestGoldenReplay(t *testing.T) {
	evs := recording()
	runGolden(t, "replay", func(*fakeEngine) Model {
		return NewReplay(evs, testOptions())
	}, func(tm *teatest.TestModel, _ *fakeEngine) {
		tm.Send(keyMsg(">"))
	}, fmt.Sprintf("event %d/%d", len(evs), len(evs)))
}

// recording is a finished session as ReadRecording would return it.
func recording() []session.Event {
	script := append(scriptRunning(),
		evObservation("c1", "total 12", 0),
		uitest.Assistant("There is one Go file with 120 lines."),
		uitest.State(session.StateRunning, session.StateFinished, ""),
	)
	t0 := fixedNow()
	for i := range script {
		script[i].Seq = int64(i + 1)
		script[i].ID = fmt.Sprintf("ev-%d", i+1)
		script[i].Time = t0.Add(time.Duration(i) * 700 * time.Millisecond)
	}
	return script
}
