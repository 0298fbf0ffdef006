// Package teapace paces Bubble Tea's frame ticker and its views: asleep
// while nothing changes, a frame at once (not up to a frame later) when
// the user did something or the screen wakes, and at most one view built
// per frame while output floods in.
//
// Bubble Tea v2 (charm.land/bubbletea/v2 v2.1.x) flushes frames from a
// 60 fps time.Ticker that never stops: an idle program still wakes 60
// times a second to find nothing to draw, and a key pressed just after a
// tick waits up to 16.7 ms for the next one. A new view can only come
// from View, which the program calls after every message, so a Pacer
// watches Update and View:
//
//   - after Quiet with no View call it stops the ticker; the next View
//     restarts it with a first tick within a millisecond, then the usual
//     pace;
//   - a view built is drawn at once: the ticker is moved to tick now and
//     keeps its period from there, unless a tick is due within Lead
//     anyway; the period resumes once the renderer has written (Output
//     sees it), so a renderer late under load still finds the tick;
//   - the first View, and a View after input (a key, a paste, a click or
//     wheel, a resize), is always built. A View after output only (session
//     events) is built when the last view was built a frame period ago or
//     more; sooner, it is answered with the last view (already drawn) and
//     a fresh one is built, and drawn, when that period is over (the
//     Pacer sends the program a message of its own for it). Bubble Tea
//     calls View after every message: in a flood of output that was ~11
//     views built per frame drawn (7,269 event batches in 11 s), all but
//     one for nothing. Output is drawn at most once a period, as fresh as
//     at the tick before; input is never held back.
//
// The ticker is an unexported field of tea.Program, reached by
// reflection; if a Bubble Tea upgrade renames it, Attach reports false
// and the program runs exactly as without a Pacer (a test says so loudly).
// It owns only the ticker's pace: it never touches the view or the output.
package teapace

import (
	"io"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	tea "charm.land/bubbletea/v2"
)

// Quiet is how long after the last View the ticker stops: long enough
// for the renderer to flush that view many times over (at least two
// frame periods, for a program slower than 8 fps).
const Quiet = 250 * time.Millisecond

// Lead: a frame due within Lead is not brought forward.
const Lead = 3 * time.Millisecond

// kickTick is the one short tick that draws a view at once; the period
// resumes kickTick later (a second short tick, if it comes, finds the
// view drawn and writes nothing).
const kickTick = time.Millisecond

// defaultFrame is Bubble Tea's default frame interval (60 fps).
const defaultFrame = time.Second / 60

// Pacer wraps a model and paces its program's frame ticker.
type Pacer struct {
	mu       sync.Mutex
	prog     *tea.Program
	ticker   *time.Ticker
	frame    time.Duration // the ticker's period
	resolved bool
	running  bool
	closed   bool
	viewed   bool      // a View has been drawn since Run
	urgent   bool      // input arrived since the last View
	kicking  bool      // a short tick is pending; the period resumes after it
	phase    time.Time // the ticker's period began here: ticks at phase + k·frame
	lastView time.Time
	idle     *time.Timer
	kicks    int
	writes   atomic.Int64 // writes to the terminal seen by Output

	// View coalescing.
	last         tea.View // the view built last (at lastView)
	haveLast     bool
	refreshing   bool // a refresh message is on its way
	refreshNow   bool // it arrived: build the view
	built, saved int  // views built / answered with last
}

// refreshMsg asks for the view to be built now: output came in less
// than a frame period after the last one was built.
type refreshMsg struct{}

// Model wraps m so each Update and View call reaches the Pacer; Run's
// final model is a Model too: Unwrap it.
type Model struct {
	tea.Model
	p *Pacer
}

// Wrap returns the Pacer and the model to give tea.NewProgram; call
// Attach with the program before Run.
func Wrap(m tea.Model) (*Pacer, Model) {
	p := &Pacer{running: true, frame: defaultFrame}
	return p, Model{Model: m, p: p}
}

// Unwrap is the model inside a wrapped one (any other model as it is).
func Unwrap(m tea.Model) tea.Model {
	if w, ok := m.(Model); ok {
		return w.Model
	}
	return m
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(refreshMsg); ok {
		m.p.mu.Lock()
		m.p.refreshing, m.p.refreshNow = false, true
		m.p.mu.Unlock()
		return m, nil
	}
	if isInput(msg) {
		m.p.mu.Lock()
		m.p.urgent = true
		m.p.mu.Unlock()
	}
	inner, cmd := m.Model.Update(msg)
	m.Model = inner
	return m, cmd
}

// isInput: messages from the user whose effect should be drawn at once.
// Mouse motion and key releases are not: they come in streams and rarely
// change the screen.
func isInput(msg tea.Msg) bool {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg, tea.MouseClickMsg, tea.MouseWheelMsg, tea.WindowSizeMsg:
		return true
	}
	return false
}

// View implements tea.Model.
func (m Model) View() tea.View {
	if v, ok := m.p.reuse(); ok {
		return v
	}
	v := m.Model.View()
	m.p.onView(v)
	return v
}

// reuse answers a View with the view built last when only output came
// since and that view is less than a frame period old; it then has a
// fresh view built when the period is over.
func (p *Pacer) reuse() (tea.View, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !p.haveLast || p.urgent || p.refreshNow || !p.running || p.ticker == nil || p.prog == nil {
		return tea.View{}, false
	}
	wait := p.frame - time.Since(p.lastView)
	if wait <= 0 {
		return tea.View{}, false
	}
	if !p.refreshing {
		p.refreshing = true
		prog := p.prog
		time.AfterFunc(wait, func() { prog.Send(refreshMsg{}) })
	}
	p.saved++
	return p.last, true
}

// Attach names the program whose ticker to pace.
func (p *Pacer) Attach(prog *tea.Program) {
	p.mu.Lock()
	p.prog = prog
	p.mu.Unlock()
}

// Paced reports whether the ticker was found (so idle costs nothing).
func (p *Pacer) Paced() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resolve()
	return p.ticker != nil
}

// Sleeping reports whether the ticker is stopped now.
func (p *Pacer) Sleeping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ticker != nil && !p.running
}

// Kicks counts the frames brought forward (input, first view, wake-ups).
func (p *Pacer) Kicks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kicks
}

// resolve finds the program's ticker, once it exists (Run makes it
// before the first View), and its period. Call with mu held.
func (p *Pacer) resolve() {
	if p.resolved || p.prog == nil {
		return
	}
	prog := reflect.ValueOf(p.prog).Elem()
	f := prog.FieldByName("ticker")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*time.Ticker]() {
		p.resolved = true // not this Bubble Tea: leave it alone
		return
	}
	t := *(**time.Ticker)(unsafe.Pointer(f.UnsafeAddr()))
	if t == nil {
		return // not started yet
	}
	if fps := prog.FieldByName("fps"); fps.IsValid() && fps.Kind() == reflect.Int && fps.Int() > 0 {
		p.frame = time.Second / time.Duration(fps.Int())
	}
	p.ticker, p.resolved = t, true
	p.phase = time.Now() // about when Run started it
}

func (p *Pacer) onView(v tea.View) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.urgent, p.viewed = false, true
	p.last, p.haveLast = v, true
	p.refreshNow = false
	p.built++
	if p.closed {
		return
	}
	p.resolve()
	if p.ticker == nil {
		return
	}
	now := time.Now()
	p.lastView = now
	switch {
	case !p.running:
		p.running = true
		p.kick()
	case !p.kicking && p.nextTick(now).Sub(now) > Lead:
		p.kick()
	}
	if p.idle == nil {
		p.idle = time.AfterFunc(Quiet, p.checkIdle)
	}
}

// nextTick is when the running ticker fires next.
func (p *Pacer) nextTick(now time.Time) time.Time {
	n := now.Sub(p.phase) / p.frame
	return p.phase.Add((n + 1) * p.frame)
}

// Views reports how many views were built, and how many View calls were
// answered with the view built last instead.
func (p *Pacer) Views() (built, reused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.built, p.saved
}

// kick makes the ticker fire within kickTick, then resumes its period
// from there. Call with mu held.
func (p *Pacer) kick() {
	p.kicks++
	p.kicking = true
	p.ticker.Reset(kickTick) // draw this view now…
	t, at, writes := p.ticker, time.Now(), p.writes.Load()
	var settle func()
	settle = func() { // …then the usual pace, once it was drawn
		p.mu.Lock()
		defer p.mu.Unlock()
		// Resetting the ticker drops a tick its goroutine has not taken
		// yet: under load (2 busy cores, start-up) the renderer can be
		// late by more than the kick, and the view then waited a whole
		// period (the first frame came 17 ms late in most starts). So
		// the period resumes only after the renderer wrote something
		// since the kick, or a period after it, whichever comes first.
		if p.writes.Load() == writes && time.Since(at) < p.frame && !p.closed {
			time.AfterFunc(kickTick, settle)
			return
		}
		p.kicking = false
		if p.running && !p.closed {
			t.Reset(p.frame)
			p.phase = time.Now()
		}
	}
	time.AfterFunc(2*kickTick, settle)
}

// checkIdle stops the ticker once Quiet has passed since the last View.
func (p *Pacer) checkIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = nil
	if p.closed || !p.running {
		return
	}
	if since, quiet := time.Since(p.lastView), max(Quiet, 2*p.frame); since < quiet {
		p.idle = time.AfterFunc(quiet-since, p.checkIdle)
		return
	}
	p.running = false
	p.ticker.Stop()
}

// Close stops pacing; call it after Run returns.
func (p *Pacer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.idle != nil {
		p.idle.Stop()
	}
}

// Run is tea.NewProgram(m, opts...).Run() with the frame ticker paced;
// the final model is m's own type again.
func Run(m tea.Model, opts ...tea.ProgramOption) (tea.Model, error) {
	p, w := Wrap(m)
	// Options given later (an output of the caller's) win over this one.
	opts = append([]tea.ProgramOption{tea.WithOutput(p.Output(os.Stdout))}, opts...)
	prog := tea.NewProgram(w, opts...)
	p.Attach(prog)
	final, err := prog.Run()
	p.Close()
	return Unwrap(final), err
}

// Output wraps the program's output so the Pacer sees when the renderer
// writes (a kicked frame was drawn). A terminal stays a terminal: the
// wrapper of an *os.File has its Fd, Read and Close, so Bubble Tea's
// checks (size, raw mode, colour detection) see the same file.
func (p *Pacer) Output(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		return pacedFile{File: f, p: p}
	}
	return pacedWriter{w: w, p: p}
}

type pacedFile struct {
	*os.File
	p *Pacer
}

func (o pacedFile) Write(b []byte) (int, error) {
	o.p.writes.Add(1)
	return o.File.Write(b)
}

type pacedWriter struct {
	w io.Writer
	p *Pacer
}

func (o pacedWriter) Write(b []byte) (int, error) {
	o.p.writes.Add(1)
	return o.w.Write(b)
}
