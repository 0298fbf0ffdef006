// Package rig runs the real tether screen (ui.Model in a tea.Program with
// its own renderer, over app.Engine, a local sandbox and a scripted fake
// model) with its terminal output going to a recorder instead of a tty, so
// that benchmark programs can see when each frame reaches the "terminal".
//
// It owns only measurement plumbing: it must not change how the UI, the
// engine or the sandbox behave (it wraps the model only to observe View,
// Update and the output writes).
package rig

import (
	"reflect"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/ui"
)

// frames sits between the program and its output. Bubble Tea calls View
// after every Update and writes the latest view to the terminal on its
// frame ticker (60 fps); a frame "reaches the terminal" when the renderer
// writes it, so that is the time recorded.
type frames struct {
	mu      sync.Mutex
	latest  string    // content of the newest View
	viewSeq int64     // bumps on each View
	written int64     // viewSeq of the last frame written
	writes  int       // output writes (frames flushed)
	keys    []keyWait // keys sent, in order, not yet drawn
	keyLat  []time.Duration
	waiters []*waiter
	onFrame func(t time.Time, content string) // called for each written frame
	elided  int64                             // "bytes elided" notices seen by the UI
	// onOutput sees each output chunk as the UI's Update receives it.
	onOutput func(t time.Time, data string)
}

type keyWait struct {
	sent    time.Time
	handled int64 // viewSeq after the Update that took it; 0 = not yet
}

type waiter struct {
	cond func(plain string) bool
	done chan time.Time
}

// Write records a frame flush. The renderer writes one frame in one or a
// few writes within a flush; each is taken as "frame shown now".
func (f *frames) Write(p []byte) (int, error) {
	now := time.Now()
	f.mu.Lock()
	if f.written == f.viewSeq {
		f.mu.Unlock()
		return len(p), nil
	}
	f.written = f.viewSeq
	f.writes++
	content := f.latest
	keep := f.keys[:0]
	for _, k := range f.keys {
		if k.handled != 0 && k.handled <= f.written {
			f.keyLat = append(f.keyLat, now.Sub(k.sent))
			continue
		}
		keep = append(keep, k)
	}
	f.keys = keep
	waiters := f.waiters
	onFrame := f.onFrame
	f.mu.Unlock()
	if onFrame != nil {
		onFrame(now, content)
	}
	if len(waiters) > 0 {
		plain := ansi.Strip(content)
		f.mu.Lock()
		keepW := f.waiters[:0]
		for _, w := range f.waiters {
			if w.cond(plain) {
				w.done <- now
				continue
			}
			keepW = append(keepW, w)
		}
		f.waiters = keepW
		f.mu.Unlock()
	}
	return len(p), nil
}

// model wraps ui.Model to see each View and which keys have been handled.
type model struct {
	ui.Model
	f *frames
}

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	t0 := time.Now()
	next, cmd := m.Model.Update(msg)
	m.Model = next.(ui.Model)
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		m.f.mu.Lock()
		for i := range m.f.keys {
			if m.f.keys[i].handled == 0 {
				m.f.keys[i].handled = m.f.viewSeq + 1 // the View that follows
				break
			}
		}
		m.f.mu.Unlock()
	default:
		if m.f.onOutput != nil {
			eachOutput(msg, func(data string) { m.f.onOutput(t0, data) })
		}
		if n := elidedIn(msg); n > 0 {
			m.f.mu.Lock()
			m.f.elided += n
			m.f.mu.Unlock()
		}
	}
	return m, cmd
}

func (m model) View() tea.View {
	v := m.Model.View()
	m.f.mu.Lock()
	m.f.latest = v.Content
	m.f.viewSeq++
	m.f.mu.Unlock()
	return v
}

// eachOutput calls fn with the data of each output event in a batch of
// engine events (read by reflection, see elidedIn).
func eachOutput(msg tea.Msg, fn func(data string)) {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Struct || v.Type().Name() != "eventsMsg" {
		return
	}
	evs := v.FieldByName("events")
	for i := 0; i < evs.Len(); i++ {
		if out := evs.Index(i).FieldByName("Output"); !out.IsNil() {
			fn(out.Elem().FieldByName("Data").String())
		}
	}
}

// elidedIn counts the live view's "N bytes elided" notices in a batch of
// engine events. The batch type is the UI's own, so it is read by
// reflection (read-only), only to report how much output the live view
// skipped — a skipped line cannot have a display latency.
func elidedIn(msg tea.Msg) int64 {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Struct || v.Type().Name() != "eventsMsg" {
		return 0
	}
	evs := v.FieldByName("events")
	var n int64
	for i := 0; i < evs.Len(); i++ {
		out := evs.Index(i).FieldByName("Output")
		if out.IsNil() {
			continue
		}
		data := out.Elem().FieldByName("Data").String()
		if j := strings.Index(data, " bytes elided from live view"); j >= 0 {
			k := strings.LastIndex(data[:j], "[... ")
			if k >= 0 {
				var b int64
				for _, c := range data[k+5 : j] {
					b = b*10 + int64(c-'0')
				}
				n += b
			}
		}
	}
	return n
}
