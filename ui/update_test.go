package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

func TestCtrlCTwiceQuitsWhenIdle(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	typeText(m, "half a thought")
	press(m, "ctrl+c")
	if m.m.quit.active || m.m.prompt.value() != "" {
		t.Fatalf("first ctrl+c: teardown %v, prompt %q (want cleared, not quitting)", m.m.quit.active, m.m.prompt.value())
	}
	cmd := update(m, keyMsg("ctrl+c"))
	if !m.m.quit.active || cmd == nil {
		t.Fatal("second ctrl+c did not start the teardown")
	}
	msgs := uitest.RunCmd(cmd, 2*time.Second)
	if eng.Count("Shutdown") != 1 {
		t.Fatalf("Shutdown calls = %d", eng.Count("Shutdown"))
	}
	quit := false
	for _, msg := range msgs {
		pump(m, eng)
		for _, mm := range uitest.RunCmd(update(m, msg), 200*time.Millisecond) {
			if _, ok := mm.(tea.QuitMsg); ok {
				quit = true
			}
		}
	}
	if !quit {
		t.Fatalf("no quit after Shutdown returned; log %q", m.TeardownLog())
	}
	log := strings.Join(m.TeardownLog(), "\n")
	for _, want := range []string{"sandbox local-abc: destroying", "sandbox local-abc: destroyed", "done"} {
		if !strings.Contains(log, want) {
			t.Errorf("teardown log lacks %q:\n%s", want, log)
		}
	}
}

func TestCtrlCWhileRunningCancels(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	press(m, "ctrl+c", "ctrl+c")
	if eng.Count("Cancel") != 2 || m.m.quit.active || m.m.quit.confirm {
		t.Fatalf("calls %v, quitting %v", eng.Calls(), m.m.quit.active)
	}
}

func TestQuitWhileRunningAsksThenShutsDown(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	press(m, "ctrl+q")
	if !m.m.quit.confirm || eng.Count("Shutdown") != 0 {
		t.Fatalf("ctrl+q while running: confirm %v, calls %v", m.m.quit.confirm, eng.Calls())
	}
	if !strings.Contains(screen(m), "Quit anyway?") {
		t.Fatalf("no confirmation shown:\n%s", screen(m))
	}
	press(m, "n")
	if m.m.quit.confirm || m.m.quit.active {
		t.Fatal("n did not dismiss the confirmation")
	}
	update(m, keyMsg("ctrl+q"))
	cmd := update(m, keyMsg("y"))
	uitest.RunCmd(cmd, 2*time.Second)
	if eng.Count("Shutdown") != 1 {
		t.Fatalf("calls %v", eng.Calls())
	}
	pump(m, eng)
	got := screen(m)
	if !strings.Contains(got, "cancelling run") || !strings.Contains(got, "destroyed") {
		t.Fatalf("teardown not visible:\n%s", got)
	}
}

func TestShellCommand(t *testing.T) {
	eng := newFakeEngine()
	eng.info.HasModel = false
	eng.info.NoModelHint = "set LLM_API_KEY and LLM_MODEL (or run `tether config`)"
	m := newTestModel(t, eng, 80, 24)
	if !strings.Contains(screen(m), "set LLM_API_KEY and LLM_MODEL") {
		t.Fatalf("no-model banner missing:\n%s", screen(m))
	}
	typeText(m, "!ls")
	cmd := update(m, keyMsg("enter"))
	if m.m.prompt.value() != "" {
		t.Fatalf("prompt not cleared while the command runs: %q", m.m.prompt.value())
	}
	for _, msg := range uitest.RunCmd(cmd, time.Second) {
		update(m, msg)
	}
	if len(eng.Shells()) != 1 || eng.Shells()[0] != "ls" {
		t.Fatalf("shells = %q", eng.Shells())
	}
	typeText(m, "write a web server")
	press(m, "enter")
	if eng.Count("Send") != 0 {
		t.Fatal("Send called without a model")
	}
	if m.m.prompt.value() != "write a web server" {
		t.Fatalf("prompt lost after a refused send: %q", m.m.prompt.value())
	}
}

func TestQueuedFeedbackWhileRunning(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	typeText(m, "then add tests")
	press(m, "enter")
	if eng.Count("Send") != 1 || !strings.Contains(screen(m), "queued") {
		t.Fatalf("calls %v; screen:\n%s", eng.Calls(), screen(m))
	}
	eng.Emit(uitest.State(session.StateRunning, session.StateFinished, ""), uitest.User("then add tests"))
	pump(m, eng)
	if len(m.m.queued) != 0 {
		t.Fatalf("queued = %q after the prompt was taken", m.m.queued)
	}
	if strings.Contains(screen(m), "queued") {
		t.Errorf("the queued notice outlived the run it waited for:\n%s", screen(m))
	}
}

func TestPromptHistory(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	for _, p := range []string{"first", "second"} {
		typeText(m, p)
		press(m, "enter")
	}
	typeText(m, "draft")
	press(m, "up")
	if got := m.m.prompt.value(); got != "second" {
		t.Fatalf("up: %q", got)
	}
	press(m, "up", "up")
	if got := m.m.prompt.value(); got != "first" {
		t.Fatalf("up up up: %q", got)
	}
	press(m, "down", "down")
	if got := m.m.prompt.value(); got != "draft" {
		t.Fatalf("back down: %q", got)
	}
	// Up inside a multi-line prompt moves the cursor, not the history.
	press(m, "ctrl+j")
	typeText(m, "line2")
	press(m, "up")
	if got := m.m.prompt.value(); got != "draft\nline2" {
		t.Fatalf("up on the second line replaced the text: %q", got)
	}
}

func TestNewlineKeysDoNotSend(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	typeText(m, "a")
	press(m, "shift+enter")
	typeText(m, "b")
	press(m, "alt+enter")
	typeText(m, "c")
	press(m, "ctrl+j")
	typeText(m, "d")
	if eng.Count("Send") != 0 || m.m.prompt.value() != "a\nb\nc\nd" {
		t.Fatalf("calls %v, prompt %q", eng.Calls(), m.m.prompt.value())
	}
	press(m, "enter")
	if len(eng.Prompts()) != 1 || eng.Prompts()[0] != "a\nb\nc\nd" {
		t.Fatalf("prompts %q", eng.Prompts())
	}
}

func TestControls(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	press(m, "ctrl+t", "ctrl+p")
	eng.Emit(uitest.State(session.StateRunning, session.StatePaused, ""))
	pump(m, eng)
	press(m, "ctrl+p")
	typeText(m, "x")
	press(m, "esc") // prompt not empty: no cancel
	press(m, "backspace", "esc")
	want := []string{"SetStepMode(true)", "Pause", "Resume", "Cancel"}
	if got := eng.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if !strings.Contains(screen(m), "step ON") {
		t.Fatalf("status bar does not show step mode:\n%s", screen(m))
	}
}

func TestTinySizesDoNotPanic(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	typeText(m, "some text\nthat spans")
	for w := 0; w <= 40; w++ {
		for h := 0; h <= 20; h++ {
			update(m, tea.WindowSizeMsg{Width: w, Height: h})
			modes := []func(){func() {}}
			if (w+h)%4 == 0 { // the overlays on a sample of sizes keep this fast under -race
				modes = append(modes, func() { m.m.showHelp = true }, func() { m.m.showHelp = false; m.m.quit.confirm = true })
			}
			for _, mode := range modes {
				mode()
				out := m.View().Content
				if h == 0 || w == 0 {
					continue
				}
				lines := strings.Split(out, "\n")
				if len(lines) != h {
					t.Fatalf("%dx%d: %d lines", w, h, len(lines))
				}
				for i, l := range lines {
					if lw := ansiWidth(l); lw != w {
						t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
					}
				}
			}
			m.m.quit.confirm, m.m.showHelp = false, false
		}
	}
}

func TestNoColor(t *testing.T) {
	for _, noColor := range []bool{true, false} {
		eng := newFakeEngine()
		opts := testOptions()
		opts.NoColor = noColor
		m := New(eng, opts)
		update(m, tea.WindowSizeMsg{Width: 120, Height: 40})
		eng.Emit(scriptApproval()...)
		pump(m, eng)
		out := m.View().Content
		has := regexp.MustCompile(`\x1b\[[0-9;:]*m`).FindAllString(out, -1)
		coloured := false
		for _, sgr := range has {
			for _, p := range strings.FieldsFunc(strings.Trim(sgr, "\x1b[m"), func(r rune) bool { return r == ';' || r == ':' }) {
				if len(p) >= 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') || strings.HasPrefix(p, "10") {
					coloured = true
				}
			}
		}
		if coloured == noColor {
			t.Errorf("NoColor=%v: colour sequences present = %v", noColor, coloured)
		}
		_ = m.Close()
	}
}

func TestCtrlDQuitsOnlyOnEmptyPrompt(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	typeText(m, "abc")
	press(m, "ctrl+d")
	if m.m.quit.active || m.m.prompt.value() != "abc" {
		t.Fatalf("ctrl+d with text: quitting %v, prompt %q", m.m.quit.active, m.m.prompt.value())
	}
	press(m, "ctrl+u", "ctrl+d")
	if !m.m.quit.active {
		t.Fatal("ctrl+d on an empty prompt did not quit")
	}
}

func TestMouseClickFocuses(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	update(m, tea.MouseClickMsg{X: 10, Y: 3, Button: tea.MouseLeft})
	if m.m.focus != focusStream {
		t.Fatalf("click on the stream: focus %v", m.m.focus)
	}
	update(m, tea.MouseClickMsg{X: 10, Y: 20, Button: tea.MouseLeft})
	if m.m.focus != focusPrompt {
		t.Fatalf("click on the prompt: focus %v", m.m.focus)
	}
	update(m, tea.MouseClickMsg{X: 10, Y: 15, Button: tea.MouseLeft})
	if m.m.focus != focusApproval || eng.Count("Approve") != 0 {
		t.Fatalf("click on the approval panel: focus %v, calls %v", m.m.focus, eng.Calls())
	}
}

func TestDirectCommandCanBeCancelled(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	act := evAction("user_1", "sleep 100", false)
	act.Action.Direct = true
	eng.Emit(act)
	pump(m, eng)
	if !strings.Contains(screen(m), "your command running") {
		t.Fatalf("status does not show the running command:\n%s", screen(m))
	}
	press(m, "ctrl+c")
	if eng.Count("Cancel") != 1 || m.m.quitArmed {
		t.Fatalf("ctrl+c during a !cmd: calls %v, quit armed %v", eng.Calls(), m.m.quitArmed)
	}
	eng.Emit(evObservation("user_1", "killed", -1))
	pump(m, eng)
	if m.m.busy() {
		t.Fatal("still busy after the command's observation")
	}
}
