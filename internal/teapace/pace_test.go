package teapace

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/vt"
)

type counter struct{ n int }

type inc struct{}

func (c counter) Init() tea.Cmd { return nil }
func (c counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case inc:
		c.n++
	case tea.KeyPressMsg:
		if msg.Text == "+" {
			c.n++
			return c, nil
		}
		return c, tea.Quit
	}
	return c, nil
}
func (c counter) View() tea.View { return tea.NewView(fmt.Sprintf("count %d", c.n)) }

// screen is a terminal emulator fed the program's output: the renderer
// writes only the cells that change, so the screen is what to check.
type screen struct {
	mu  sync.Mutex
	emu *vt.Emulator
}

func newScreen() *screen {
	s := &screen{emu: vt.NewEmulator(40, 5)}
	go func() { _, _ = io.Copy(io.Discard, s.emu) }() // its answers to queries
	return s
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.String()
}

// eventually polls cond for up to 10 s (a bound for a loaded machine, not
// a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An idle program's frame ticker stops, and a change after that still
// reaches the screen: pacing saves the idle wake-ups and loses no frame.
func TestIdleTickerStopsAndWakesForChanges(t *testing.T) {
	out := newScreen()
	p, w := Wrap(counter{})
	prog := tea.NewProgram(w, tea.WithInput(nil), tea.WithOutput(p.Output(out)), tea.WithWindowSize(40, 5), tea.WithoutSignalHandler())
	p.Attach(prog)
	done := make(chan tea.Model, 1)
	go func() {
		final, err := prog.Run()
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- final
	}()
	eventually(t, "the first frame is drawn", func() bool { return strings.Contains(out.String(), "count 0") })
	if !p.Paced() {
		t.Fatal("the Bubble Tea program's frame ticker was not found: this Bubble Tea version is not paced, so idle screens wake 60 times a second")
	}
	eventually(t, "the ticker sleeps once nothing changes", p.Sleeping)
	for i := 1; i <= 3; i++ {
		prog.Send(inc{})
		want := fmt.Sprintf("count %d", i)
		eventually(t, want+" is drawn after the ticker slept", func() bool { return strings.Contains(out.String(), want) })
		eventually(t, "the ticker sleeps again", p.Sleeping)
	}
	prog.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := <-done
	p.Close()
	if c, ok := Unwrap(final).(counter); !ok || c.n != 3 {
		t.Errorf("Unwrap(final) = %#v, want the counter at 3", Unwrap(final))
	}
}

// Input is drawn at once, output at most once a frame period: with the
// program at 1 frame a second, output that comes right after a frame is
// answered with that frame and drawn when the period is over, while a key
// that comes right after is built and drawn at once (a kick).
func TestInputIsDrawnAtOnceOutputOncePerPeriod(t *testing.T) {
	out := newScreen()
	p, prog, done := runPaced(t, counter{}, out, 1)
	eventually(t, "the first frame is drawn", func() bool { return strings.Contains(out.String(), "count 0") })
	if !p.Paced() {
		t.Fatal("the frame ticker was not found")
	}
	if p.Kicks() == 0 {
		t.Error("the first view was not drawn at once: it waited for the first tick")
	}
	_, reused := p.Views()
	prog.Send(inc{})
	eventually(t, "output is drawn when its period is over", func() bool { return strings.Contains(out.String(), "count 1") })
	if _, r := p.Views(); r == reused {
		t.Error("output right after a frame had its view built at once, not once per period")
	}
	builtBefore, reusedBefore := p.Views()
	kicks := p.Kicks()
	prog.Send(tea.KeyPressMsg{Code: '+', Text: "+"})
	eventually(t, "the key is drawn", func() bool { return strings.Contains(out.String(), "count 2") })
	built, reused := p.Views()
	if reused != reusedBefore || built == builtBefore {
		t.Errorf("a key right after a frame was answered with the old view (built %d→%d, reused %d→%d)", builtBefore, built, reusedBefore, reused)
	}
	if p.Kicks() == kicks {
		t.Error("a key press waited for the frame cadence instead of being drawn at once")
	}
	prog.Quit()
	<-done
	p.Close()
}

// A flood of output builds about one view per frame, not one per message,
// and the last state still reaches the screen (the view answered with the
// one drawn last is rebuilt in time for the tick).
func TestOutputFloodBuildsAViewPerFrame(t *testing.T) {
	out := newScreen()
	p, prog, done := runPaced(t, counter{}, out, 20)
	eventually(t, "the first frame is drawn", func() bool { return strings.Contains(out.String(), "count 0") })
	if !p.Paced() {
		t.Fatal("the frame ticker was not found")
	}
	const n = 400
	start := time.Now()
	for i := 0; i < n; i++ {
		prog.Send(inc{})
		if i%20 == 0 {
			time.Sleep(time.Millisecond) // a stream, not one burst
		}
	}
	eventually(t, fmt.Sprintf("count %d is drawn", n), func() bool { return strings.Contains(out.String(), fmt.Sprintf("count %d", n)) })
	built, reused := p.Views()
	frames := int(time.Since(start)/(50*time.Millisecond)) + 2
	if built > 3*frames+5 || reused == 0 {
		t.Errorf("%d messages over ~%d frames built %d views (%d answered with the last): a view per message, not per frame", n, frames, built, reused)
	}
	prog.Quit()
	<-done
	p.Close()
}

// digits is a counter whose view is its count's digit, ten times: the
// renderer writes only the cells that change, so a frame's bytes show it.
type digits struct{ counter }

func (d digits) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := d.counter.Update(msg)
	return digits{m.(counter)}, cmd
}
func (d digits) View() tea.View { return tea.NewView(strings.Repeat(fmt.Sprint(d.n%10), 10)) }

// stallingScreen is a screen whose next write can be held, as a renderer
// goroutine that gets no CPU for a while on a loaded machine is.
type stallingScreen struct {
	*screen
	hold    chan chan struct{} // a write takes one and waits for it to close
	held    chan struct{}      // a write is being held
	written chan time.Time     // when a write that shows the 2s ended
}

func (s *stallingScreen) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("1111111111")) { // the renderer's frame, not a query
		select {
		case release := <-s.hold:
			s.held <- struct{}{}
			<-release
		default:
		}
	}
	n, err := s.screen.Write(p)
	if strings.Contains(s.screen.String(), "2222222222") {
		select {
		case s.written <- time.Now():
		default:
		}
	}
	return n, err
}

// A view kicked while the renderer is late (still in an earlier write) is
// drawn as soon as the renderer is free, not a frame period later: the
// kick's tick is not dropped by resetting the ticker to its period before
// the renderer took it. At 2 frames a second a dropped tick costs ~400 ms
// here (it was 1 ms with the fix, 144 ms at 4 fps without).
func TestKickSurvivesALateRenderer(t *testing.T) {
	out := &stallingScreen{screen: newScreen(), hold: make(chan chan struct{}, 1),
		held: make(chan struct{}, 1), written: make(chan time.Time, 1)}
	p, prog, done := runPaced(t, digits{}, out, 2)
	eventually(t, "the first frame is drawn", func() bool { return strings.Contains(out.String(), "0000000000") })
	time.Sleep(50 * time.Millisecond) // the first kick settles
	release := make(chan struct{})
	out.hold <- release
	prog.Send(tea.KeyPressMsg{Code: '+', Text: "+"}) // 1s: kicked, their write held
	select {
	case <-out.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the renderer never wrote the 1s")
	}
	time.Sleep(10 * time.Millisecond)                // that kick settles (the held write counts)
	prog.Send(tea.KeyPressMsg{Code: '+', Text: "+"}) // 2s: kicked while the renderer is held
	time.Sleep(40 * time.Millisecond)                // well past the kick, well short of the 500 ms period
	freed := time.Now()
	close(release)
	select {
	case at := <-out.written:
		if late := at.Sub(freed); late > 150*time.Millisecond {
			t.Errorf("the kicked view was drawn %s after the renderer was free: its tick was dropped, it waited for the period", late)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the 2s were never drawn")
	}
	prog.Quit()
	<-done
	p.Close()
}

// runPaced runs m paced, drawing to out at fps frames a second; done
// closes when Run returns.
func runPaced(t *testing.T, m tea.Model, out io.Writer, fps int) (*Pacer, *tea.Program, <-chan struct{}) {
	t.Helper()
	p, w := Wrap(m)
	prog := tea.NewProgram(w, tea.WithInput(nil), tea.WithOutput(p.Output(out)), tea.WithWindowSize(40, 5),
		tea.WithoutSignalHandler(), tea.WithFPS(fps))
	p.Attach(prog)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := prog.Run(); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	return p, prog, done
}
