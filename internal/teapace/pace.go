// Package teapace stops Bubble Tea's frame ticker while nothing changes.
//
// Bubble Tea v2 (charm.land/bubbletea/v2 v2.1.x) flushes frames from a
// 60 fps time.Ticker that never stops: an idle program still wakes 60
// times a second to find nothing to draw, about 1 % of a core on a small
// VM. A new view can only come from View, which the program calls after
// every message, so a Pacer watches View: after Quiet with no View call
// it stops the ticker, and the next View restarts it with a first tick
// within a millisecond (the new frame is drawn at once, not a frame
// later) before the usual 60 fps resume.
//
// The ticker is an unexported field of tea.Program, reached by
// reflection; if a Bubble Tea upgrade renames it, Attach reports false
// and the program runs exactly as without a Pacer (a test says so loudly).
// It owns only the ticker's pace: it never touches the view or the output.
package teapace

import (
	"reflect"
	"sync"
	"time"
	"unsafe"

	tea "charm.land/bubbletea/v2"
)

// Quiet is how long after the last View the ticker stops: long enough
// for the renderer to flush that view many times over.
const Quiet = 250 * time.Millisecond

// frame is Bubble Tea's default frame interval (60 fps).
const frame = time.Second / 60

// Pacer wraps a model and paces its program's frame ticker.
type Pacer struct {
	mu       sync.Mutex
	prog     *tea.Program
	ticker   *time.Ticker
	resolved bool
	running  bool
	lastView time.Time
	idle     *time.Timer
	closed   bool
}

// Model wraps m so each View call reaches the Pacer; Run's final model is
// a Model too: Unwrap it.
type Model struct {
	tea.Model
	p *Pacer
}

// Wrap returns the Pacer and the model to give tea.NewProgram; call
// Attach with the program before Run.
func Wrap(m tea.Model) (*Pacer, Model) {
	p := &Pacer{running: true}
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
	inner, cmd := m.Model.Update(msg)
	m.Model = inner
	return m, cmd
}

// View implements tea.Model.
func (m Model) View() tea.View {
	v := m.Model.View()
	m.p.viewed()
	return v
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

// resolve finds the program's ticker, once it exists (Run makes it
// before the first View). Call with mu held.
func (p *Pacer) resolve() {
	if p.resolved || p.prog == nil {
		return
	}
	f := reflect.ValueOf(p.prog).Elem().FieldByName("ticker")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*time.Ticker]() {
		p.resolved = true // not this Bubble Tea: leave it alone
		return
	}
	t := *(**time.Ticker)(unsafe.Pointer(f.UnsafeAddr()))
	if t == nil {
		return // not started yet
	}
	p.ticker, p.resolved = t, true
}

func (p *Pacer) viewed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.resolve()
	if p.ticker == nil {
		return
	}
	p.lastView = time.Now()
	if !p.running {
		p.running = true
		p.ticker.Reset(time.Millisecond) // draw this view now…
		t := p.ticker
		time.AfterFunc(2*time.Millisecond, func() { // …then the usual pace
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.running && !p.closed {
				t.Reset(frame)
			}
		})
	}
	if p.idle == nil {
		p.idle = time.AfterFunc(Quiet, p.checkIdle)
	}
}

// checkIdle stops the ticker once Quiet has passed since the last View.
func (p *Pacer) checkIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = nil
	if p.closed || !p.running {
		return
	}
	if since := time.Since(p.lastView); since < Quiet {
		p.idle = time.AfterFunc(Quiet-since, p.checkIdle)
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
	prog := tea.NewProgram(w, opts...)
	p.Attach(prog)
	final, err := prog.Run()
	p.Close()
	return Unwrap(final), err
}
