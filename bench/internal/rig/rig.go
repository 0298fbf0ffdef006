package rig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
)

// Options configure a Rig.
type Options struct {
	Dir       string // scratch directory (sandboxes, spill, recording); required
	Isolation string // local sandbox isolation; "" = auto, as tether's default
	Width     int    // terminal size; 0 = 160×48
	Height    int
	// OnFrame, when set, sees every frame as it is written (plain content
	// with styles, from the renderer's goroutine): keep it cheap.
	OnFrame func(t time.Time, content string)
	// OnOutput, when set, sees each output chunk when the UI's Update
	// receives it (on the program's goroutine: keep it cheap).
	OnOutput func(t time.Time, data string)
}

// Rig is a running tether screen over a fake model that answers each
// prompt by running it as a terminal command, then calls finish with
// "done #N" (N counts prompts from 1).
type Rig struct {
	Dir    string
	prog   *tea.Program
	f      *frames
	eng    *app.Engine
	srv    *llmtest.Server
	done   chan struct{}
	runErr error
	final  tea.Model
	mu     sync.Mutex
	runs   int
}

// Start opens the screen and returns once the program is running.
func Start(o Options) (*Rig, error) {
	if o.Width == 0 {
		o.Width, o.Height = 160, 48
	}
	if o.Isolation == "" {
		o.Isolation = local.IsolationAuto
	}
	r := &Rig{Dir: o.Dir, done: make(chan struct{}), f: &frames{onFrame: o.OnFrame, onOutput: o.OnOutput}}
	r.srv = llmtest.Start()
	r.srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		last := req.Last()
		if last.Role == llm.RoleTool {
			r.mu.Lock()
			r.runs++
			n := r.runs
			r.mu.Unlock()
			return llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{llmtest.Call("finish", map[string]any{
				"message": fmt.Sprintf("done #%d", n)})}, ChunkSize: 64}
		}
		return llmtest.Reply{
			ToolCalls: []llmtest.ToolCallReply{llmtest.Call("terminal", map[string]any{"command": strings.TrimSpace(last.Content), "timeout": 600})},
			ChunkSize: 64,
		}
	})
	model, err := llm.New(r.srv.Config("fake"))
	if err != nil {
		r.srv.Close()
		return nil, fmt.Errorf("fake model client: %w", err)
	}
	prov, err := local.NewProvider(local.Options{BaseDir: filepath.Join(o.Dir, "sandboxes"), Isolation: o.Isolation})
	if err != nil {
		r.srv.Close()
		return nil, fmt.Errorf("local provider: %w", err)
	}
	r.eng = app.StartEngine(app.EngineOptions{
		Provider: prov,
		Session: session.Options{
			Model: model, ModelName: "fake",
			RecordPath: filepath.Join(o.Dir, "session.jsonl"), // tether records by default
		},
	})
	m := ui.New(r.eng, ui.Options{SpillDir: filepath.Join(o.Dir, "spill"), QuitDelay: -1})
	r.prog = tea.NewProgram(model2(m, r.f),
		tea.WithInput(nil), tea.WithOutput(r.f), tea.WithWindowSize(o.Width, o.Height),
		tea.WithoutSignalHandler())
	go func() {
		defer close(r.done)
		r.final, r.runErr = r.prog.Run()
	}()
	// The program is up once it has written its first frame.
	if _, err := r.WaitFrame(func(string) bool { return true }, 10*time.Second); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func model2(m ui.Model, f *frames) tea.Model { return model{Model: m, f: f} }

// Type sends one key press and remembers when, for KeyLatencies.
func (r *Rig) Type(k tea.KeyPressMsg) {
	r.f.mu.Lock()
	r.f.keys = append(r.f.keys, keyWait{sent: time.Now()})
	r.f.mu.Unlock()
	r.prog.Send(k)
}

// Key is the key press for a name: a single character or one of enter,
// esc, tab, home, end, pgup, pgdown, backspace.
func Key(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	c := []rune(name)[0]
	return tea.KeyPressMsg{Code: c, Text: name}
}

// Prompt pastes text into the prompt box and presses enter, as a user
// would, and returns when enter was sent.
func (r *Rig) Prompt(text string) time.Time {
	r.f.mu.Lock()
	r.f.keys = append(r.f.keys, keyWait{sent: time.Now()})
	r.f.mu.Unlock()
	r.prog.Send(tea.PasteMsg{Content: text})
	t := time.Now()
	r.Type(Key("enter"))
	return t
}

// Expect starts watching for the first frame written from now on whose
// text (styles stripped) satisfies cond. Call it before sending the key
// that should cause the frame, then Wait.
func (r *Rig) Expect(cond func(plain string) bool) *Expectation {
	w := &waiter{cond: cond, done: make(chan time.Time, 1)}
	r.f.mu.Lock()
	r.f.waiters = append(r.f.waiters, w)
	r.f.mu.Unlock()
	return &Expectation{r: r, w: w}
}

// Expectation is a frame being waited for.
type Expectation struct {
	r *Rig
	w *waiter
}

// Wait returns when the expected frame was written.
func (e *Expectation) Wait(timeout time.Duration) (time.Time, error) {
	r := e.r
	select {
	case t := <-e.w.done:
		return t, nil
	case <-time.After(timeout):
		r.f.mu.Lock()
		for i, x := range r.f.waiters {
			if x == e.w {
				r.f.waiters = append(r.f.waiters[:i], r.f.waiters[i+1:]...)
				break
			}
		}
		r.f.mu.Unlock()
		return time.Time{}, fmt.Errorf("no matching frame within %v; last frame:\n%s", timeout, r.LastFrame())
	case <-r.done:
		return time.Time{}, errors.New("the program ended")
	}
}

// WaitFrame is Expect(cond).Wait(timeout).
func (r *Rig) WaitFrame(cond func(plain string) bool, timeout time.Duration) (time.Time, error) {
	return r.Expect(cond).Wait(timeout)
}

// KeyLatencies returns and clears the key-to-frame times measured so far:
// from Type to the first frame written after the Update that handled the
// key. Only keys that change the screen can be measured.
func (r *Rig) KeyLatencies() []time.Duration {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	l := r.f.keyLat
	r.f.keyLat = nil
	// Keys handled without changing the screen never get a frame: forget
	// them, or the next frame would be counted as theirs.
	keep := r.f.keys[:0]
	for _, k := range r.f.keys {
		if k.handled == 0 {
			keep = append(keep, k)
		}
	}
	r.f.keys = keep
	return l
}

// LastFrame is the newest view's text without styles.
func (r *Rig) LastFrame() string {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return ansi.Strip(r.f.latest)
}

// Frames is how many frames were written.
func (r *Rig) Frames() int {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return r.f.writes
}

// Elided is the output bytes the live view skipped (session back-pressure).
func (r *Rig) Elided() int64 {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return r.f.elided
}

// Close quits the program (the UI shuts the engine down) and the server.
func (r *Rig) Close() {
	r.prog.Send(tea.KeyPressMsg{Code: 'q', Mod: tea.ModCtrl})
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		r.prog.Kill()
		<-r.done
	}
	if m, ok := r.final.(model); ok {
		_ = m.Model.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r.eng.Detach()
	_ = r.eng.Shutdown(ctx)
	r.srv.Close()
}

// RSS returns the process's resident set now and its peak, in MiB, from
// /proc/self/status (Linux).
func RSS() (cur, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}

// Percentile is the p-th percentile (0..100) of ds, or 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }
