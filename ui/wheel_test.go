package ui

import (
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// fakeWheel is a user shell the test writes the output of and reads the
// keys typed into.
type fakeWheel struct {
	pr *io.PipeReader
	pw *io.PipeWriter

	mu      sync.Mutex
	typed   []byte
	sizes   [][2]int
	handed  int
	done    chan struct{}
	onBack  func()
	doneOne sync.Once
}

func newFakeWheel() *fakeWheel {
	pr, pw := io.Pipe()
	return &fakeWheel{pr: pr, pw: pw, done: make(chan struct{})}
}

func (f *fakeWheel) Read(p []byte) (int, error) { return f.pr.Read(p) }
func (f *fakeWheel) Send(_ context.Context, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.typed = append(f.typed, p...)
	return nil
}
func (f *fakeWheel) Resize(_ context.Context, c, r int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sizes = append(f.sizes, [2]int{c, r})
	return nil
}
func (f *fakeWheel) Done() <-chan struct{} { return f.done }
func (f *fakeWheel) exit() {
	f.doneOne.Do(func() { close(f.done); _ = f.pw.Close() })
}
func (f *fakeWheel) HandBack(context.Context) (session.WheelInfo, error) {
	f.mu.Lock()
	f.handed++
	f.mu.Unlock()
	f.exit()
	if f.onBack != nil {
		f.onBack()
	}
	code := 0
	return session.WheelInfo{Commands: []session.WheelCommand{{Command: "echo hi > f", ExitCode: &code}}, Files: []session.FileChange{{Path: "f", Change: session.FileAdded}}}, nil
}

func (f *fakeWheel) typedBytes() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.typed)
}

// wheelEngine is the fake engine with a wheel to give.
type wheelEngine struct {
	*fakeEngine
	w     *fakeWheel
	cols  int
	rows  int
	taken int
}

func (e *wheelEngine) TakeWheel(_ context.Context, cols, rows int) (WheelShell, error) {
	e.cols, e.rows = cols, rows
	e.taken++
	return e.w, nil
}

// openWheel drives a synchronous model through taking the wheel.
func openWheel(t *testing.T, w, h int) (Model, *wheelEngine) {
	t.Helper()
	eng := &wheelEngine{fakeEngine: newFakeEngine(), w: newFakeWheel()}
	m := New(eng, testOptions())
	t.Cleanup(func() { _ = m.Close(); eng.w.exit() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: w, Height: h})
	cmd := update(m, keyMsg("ctrl+]"))
	if cmd == nil {
		t.Fatalf("ctrl+] took no action:\n%s", screen(m))
	}
	if c := update(m, cmd()); c == nil || m.m.wheel == nil || m.m.wheel.phase != wheelOpen {
		t.Fatalf("the wheel did not open:\n%s", screen(m))
	}
	return m, eng
}

// shellPrints writes out as the shell's output and waits until the
// screen has taken it in.
func shellPrints(t *testing.T, m Model, eng *wheelEngine, out string) {
	t.Helper()
	term := m.m.wheel.term
	term.mu.Lock()
	gen := term.gen
	term.mu.Unlock()
	if _, err := eng.w.pw.Write([]byte(out)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		term.mu.Lock()
		g := term.gen
		term.mu.Unlock()
		if g > gen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell's output never reached the emulator")
		}
		time.Sleep(time.Millisecond)
	}
	// What the emulator answers (a cursor report, say) is sent on a
	// goroutine: give it a moment.
	time.Sleep(20 * time.Millisecond)
}

var wheelPrompt = "\x1b[1;33m(you)\x1b[0m \x1b[1m/w\x1b[0m $ "

func TestGoldenWheel(t *testing.T) {
	var eng *wheelEngine
	runGolden(t, "wheel", func(fe *fakeEngine) Model {
		eng = &wheelEngine{fakeEngine: fe, w: newFakeWheel()}
		t.Cleanup(eng.w.exit)
		return New(eng, testOptions())
	}, func(tm *teatest.TestModel, _ *fakeEngine) {
		eng.Emit(scriptRunning()...)
		eng.Emit(uitest.State(session.StateRunning, session.StatePaused, "paused: you have the wheel"))
		waitScreen(t, tm, len(scriptRunning())+1, "paused")
		tm.Send(keyMsg("ctrl+]"))
		go func() {
			_, _ = io.WriteString(eng.w.pw, wheelPrompt+"ls\r\n\x1b[34mdir\x1b[0m  main.go\r\n"+wheelPrompt+"vi main.go")
		}()
	}, "vi main.go")
}

// TestWheelSandboxEscapesAreInert: what the sandbox prints reaches the
// user's terminal only as text and colours; titles, the clipboard, the
// alternate screen, mouse modes, DCS, APC and hyperlinks act on nothing.
func TestWheelSandboxEscapesAreInert(t *testing.T) {
	m, eng := openWheel(t, 80, 24)
	before := m.View().WindowTitle
	hostile := "\x1b]0;pwned-title\x07" + // window title
		"\x1b]52;c;cHduZWQ=\x07" + // clipboard write
		"\x1b[?1049h" + // alternate screen
		"\x1b[?1000h\x1b[?1006h" + // mouse reporting
		"\x1bP+q544e\x1b\\" + // DCS (termcap query)
		"\x1b_apc-payload\x1b\\" + // APC
		"\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 " + // hyperlink
		"\x1b[2004h" + // bracketed paste (the emulator's own business)
		"\u202eevil\u202c " + // bidi override
		"\x1b[31mred\x1b[0m visible-text"
	shellPrints(t, m, eng, hostile)
	v := m.View()
	if v.WindowTitle != before || strings.Contains(v.WindowTitle, "pwned") {
		t.Errorf("the sandbox set the window title: %q", v.WindowTitle)
	}
	if v.MouseMode != tea.MouseModeNone {
		t.Errorf("mouse mode = %v while the wheel is open", v.MouseMode)
	}
	content := v.Content
	if !strings.Contains(content, "visible-text") || !strings.Contains(content, "link") {
		t.Fatalf("the text did not render:\n%q", content)
	}
	// Only SGR may remain: ESC [ params m.
	rest := regexp.MustCompile(`\x1b\[[0-9;:]*m`).ReplaceAllString(content, "")
	if i := strings.IndexAny(rest, "\x1b\x07\x90\x9b\x9d\u202e\u202c"); i >= 0 {
		t.Errorf("a control sequence reached the view at %d: %q", i, rest[max(0, i-20):min(len(rest), i+40)])
	}
	for _, bad := range []string{"pwned", "cHduZWQ", "evil.example", "apc-payload"} {
		if strings.Contains(content, bad) {
			t.Errorf("%q reached the view", bad)
		}
	}
	// The emulator answers the shell's own queries, to the shell.
	shellPrints(t, m, eng, "\x1b[6n")
	if got := eng.w.typedBytes(); !strings.Contains(got, "\x1b[") || !strings.HasSuffix(got, "R") {
		t.Errorf("the cursor position query was not answered to the shell: %q", got)
	}
}

// TestWheelKeysReachTheShellEncoded: keys are sent as a terminal sends
// them, pastes bracketed when the shell asked; ctrl+] is not sent but
// hands back.
func TestWheelKeysReachTheShellEncoded(t *testing.T) {
	m, eng := openWheel(t, 80, 24)
	if eng.cols != 80 || eng.rows != 23 {
		t.Errorf("shell opened at %dx%d, want 80x23 (the bar takes a line)", eng.cols, eng.rows)
	}
	typeText(m, "vi")
	press(m, "enter", "ctrl+c", "up", "alt+b", "ctrl+left", "esc", "tab", "backspace", "ctrl+d", "ctrl+w", "ctrl+q", "ctrl+p")
	update(m, tea.PasteMsg{Content: "a b"})
	want := "vi\r\x03\x1b[A\x1bb\x1b[1;5D\x1b\t\x7f\x04\x17\x11\x10a b"
	waitTyped(t, eng.w, want)
	// Application cursor keys and bracketed paste, once the shell asks.
	shellPrints(t, m, eng, "\x1b[?1h\x1b[?2004h")
	press(m, "up")
	update(m, tea.PasteMsg{Content: "p"})
	waitTyped(t, eng.w, want+"\x1bOA\x1b[200~p\x1b[201~")
	cmd := update(m, keyMsg("ctrl+]"))
	if cmd == nil || m.m.wheel.phase != wheelClosing {
		t.Fatal("ctrl+] did not hand back")
	}
	update(m, cmd())
	if m.m.wheel != nil || eng.w.handed != 1 {
		t.Fatalf("after hand-back: wheel %v, HandBack calls %d", m.m.wheel, eng.w.handed)
	}
	if got := eng.w.typedBytes(); strings.Contains(got, "\x1d") {
		t.Errorf("ctrl+] was typed into the shell: %q", got)
	}
	if s := screen(m); !strings.Contains(s, "you handed back: 1 command, 1 file changed") {
		t.Errorf("no hand-back notice:\n%s", s)
	}
}

func waitTyped(t *testing.T, w *fakeWheel, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for w.typedBytes() != want {
		if time.Now().After(deadline) {
			t.Fatalf("typed %q, want %q", w.typedBytes(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWheelResizeFollowsTheScreen: a new screen size resizes both the
// emulator and the shell's PTY, less the bar.
func TestWheelResizeFollowsTheScreen(t *testing.T) {
	m, eng := openWheel(t, 80, 24)
	shellPrints(t, m, eng, strings.Repeat("x", 100)) // wraps at 80
	cmd := update(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	if cmd == nil {
		t.Fatal("no resize command")
	}
	update(m, cmd())
	if got := eng.w.sizes; len(got) != 1 || got[0] != [2]int{120, 39} {
		t.Errorf("shell resized to %v, want [120 39]", got)
	}
	if c, r := m.m.wheel.term.size(); c != 120 || r != 39 {
		t.Errorf("emulator is %dx%d, want 120x39", c, r)
	}
	lines := strings.Split(screen(m), "\n")
	if len(lines) != 40 || ansiWidth(lines[0]) != 120 {
		t.Errorf("screen is %d lines, first %d wide; want 40 of 120", len(lines), ansiWidth(lines[0]))
	}
	if !strings.Contains(lines[len(lines)-1], "ctrl+] hand back") {
		t.Errorf("bar = %q", lines[len(lines)-1])
	}
}

// TestWheelShellExitHandsBack: `exit` in the shell gives the wheel back.
func TestWheelShellExitHandsBack(t *testing.T) {
	m, eng := openWheel(t, 80, 24)
	wait := m.m.wheel.term.wait()
	eng.w.exit()
	cmd := update(m, wait())
	if cmd == nil || eng.w.handed != 0 && m.m.wheel == nil {
		t.Fatal("the shell's end did not start a hand-back")
	}
	update(m, cmd())
	if m.m.wheel != nil || eng.w.handed != 1 {
		t.Fatalf("wheel %v, HandBack calls %d", m.m.wheel, eng.w.handed)
	}
}

// TestWheelNotInReplay: a replay has no sandbox to take.
func TestWheelNotInReplay(t *testing.T) {
	eng := newFakeEngine() // no WheelTaker
	m := newTestModel(t, eng, 80, 24)
	update(m, keyMsg("ctrl+]"))
	if m.m.wheel != nil || !strings.Contains(screen(m), "not available") {
		t.Fatalf("wheel taken without a taker:\n%s", screen(m))
	}
}
