package ui

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"

	"github.com/tether-dev/tether/internal/termsafe"
)

// wheelTerm is the user's sandbox shell as the screen holds it: the
// shell's bytes go into a terminal emulator (charmbracelet/x/vt), never
// to the user's terminal, and the view is rebuilt from the emulator's
// cells (text and colours only): a title, OSC 52, the alternate screen,
// mouse modes, DCS and the rest act on the emulator or nowhere.
//
// Nothing here blocks Update: one goroutine reads the shell into the
// emulator, another types what the emulator sends (the user's keys, its
// answers to the shell's queries) into the shell.
type wheelTerm struct {
	sh WheelShell

	mu    sync.Mutex
	emu   *vt.Emulator
	gen   uint64 // emulator changes, for the render cache
	ended bool   // the shell's output ended (it exited or was closed)

	dirty chan struct{} // one pending wake-up for the screen
	stop  chan struct{}
	once  sync.Once

	inMu sync.Mutex
	in   [][]byte // typed bytes not yet sent
	inOK chan struct{}

	cacheGen  uint64
	cacheRows []string
}

// wheelFrame is the least time between two screen wake-ups for output,
// so a flood of it costs one frame per period (60 fps).
const wheelFrame = time.Second / 60

func newWheelTerm(sh WheelShell, cols, rows int) *wheelTerm {
	t := &wheelTerm{
		sh:    sh,
		emu:   vt.NewEmulator(max(cols, 1), max(rows, 1)),
		dirty: make(chan struct{}, 1),
		stop:  make(chan struct{}),
		inOK:  make(chan struct{}, 1),
	}
	go t.readShell()
	go t.readEmulator()
	go t.sendInput()
	return t
}

// readShell feeds the shell's output to the emulator.
func (t *wheelTerm) readShell() {
	buf := make([]byte, 32<<10)
	for {
		n, err := t.sh.Read(buf)
		t.mu.Lock()
		if n > 0 {
			_, _ = t.emu.Write(buf[:n])
			t.gen++
		}
		if err != nil {
			t.ended = true
		}
		t.mu.Unlock()
		t.wake()
		if err != nil {
			return
		}
	}
}

// readEmulator takes what the emulator sends (encoded keys, pastes,
// answers to queries such as the cursor position) and queues it for the
// shell; it never waits on the shell, so writing keys never blocks.
func (t *wheelTerm) readEmulator() {
	buf := make([]byte, 4096)
	for {
		n, err := t.emu.Read(buf)
		if n > 0 {
			t.queue(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (t *wheelTerm) queue(p []byte) {
	t.inMu.Lock()
	t.in = append(t.in, append([]byte(nil), p...))
	t.inMu.Unlock()
	select {
	case t.inOK <- struct{}{}:
	default:
	}
}

// sendInput types queued bytes into the shell, in order.
func (t *wheelTerm) sendInput() {
	for {
		select {
		case <-t.stop:
			return
		case <-t.inOK:
		}
		t.inMu.Lock()
		batch := t.in
		t.in = nil
		t.inMu.Unlock()
		for _, p := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = t.sh.Send(ctx, p) // a shell that ended takes no keys: nothing to do
			cancel()
		}
	}
}

func (t *wheelTerm) wake() {
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

// close stops the goroutines that do not end with the shell.
func (t *wheelTerm) close() {
	t.once.Do(func() {
		close(t.stop)
		// Ends readEmulator. Not emu.Close: its flag is read unlocked
		// by the emulator's Read.
		if pw, ok := t.emu.InputPipe().(*io.PipeWriter); ok {
			_ = pw.CloseWithError(io.EOF)
		}
	})
}

// wheelDirtyMsg says the emulator changed (or the shell ended).
type wheelDirtyMsg struct{ t *wheelTerm }

// wait is the command that wakes the screen after output, at most once
// per frame.
func (t *wheelTerm) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case <-t.dirty:
		case <-t.stop:
			return nil
		}
		select {
		case <-time.After(wheelFrame):
		case <-t.stop:
		}
		return wheelDirtyMsg{t}
	}
}

func (t *wheelTerm) hasEnded() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended
}

// key types one key press as a terminal would send it.
func (t *wheelTerm) key(k tea.KeyPressMsg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq := modifiedKey(k); seq != "" {
		t.emu.SendText(seq) // through the emulator too, to keep the order
		return
	}
	t.emu.SendKey(uv.KeyPressEvent{Code: k.Code, Text: k.Text, Mod: k.Mod})
}

// paste types pasted text (bracketed when the shell asked for it).
func (t *wheelTerm) paste(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emu.Paste(s)
}

// modifiedKey encodes cursor and editing keys with modifiers the way
// xterm does (CSI 1;m X, CSI n;m ~), which the emulator's own encoder
// leaves out; "" for any other key.
func modifiedKey(k tea.KeyPressMsg) string {
	mod := 1
	if k.Mod&tea.ModShift != 0 {
		mod++
	}
	if k.Mod&tea.ModAlt != 0 {
		mod += 2
	}
	if k.Mod&tea.ModCtrl != 0 {
		mod += 4
	}
	if mod == 1 {
		return ""
	}
	m := string(rune('0' + mod))
	switch k.Code {
	case tea.KeyUp:
		return "\x1b[1;" + m + "A"
	case tea.KeyDown:
		return "\x1b[1;" + m + "B"
	case tea.KeyRight:
		return "\x1b[1;" + m + "C"
	case tea.KeyLeft:
		return "\x1b[1;" + m + "D"
	case tea.KeyHome:
		return "\x1b[1;" + m + "H"
	case tea.KeyEnd:
		return "\x1b[1;" + m + "F"
	case tea.KeyDelete:
		return "\x1b[3;" + m + "~"
	case tea.KeyPgUp:
		return "\x1b[5;" + m + "~"
	case tea.KeyPgDown:
		return "\x1b[6;" + m + "~"
	case tea.KeyEnter:
		if k.Mod&tea.ModAlt != 0 {
			return "\x1b\r"
		}
		return "\r"
	case tea.KeyBackspace:
		if k.Mod&tea.ModAlt != 0 {
			return "\x1b\x7f"
		}
		if k.Mod&tea.ModCtrl != 0 {
			return "\x08"
		}
	}
	return ""
}

// resize changes the emulator's size; the shell's follows in a command.
func (t *wheelTerm) resize(cols, rows int) tea.Cmd {
	cols, rows = max(cols, 1), max(rows, 1)
	t.mu.Lock()
	if t.emu.Width() == cols && t.emu.Height() == rows {
		t.mu.Unlock()
		return nil
	}
	t.emu.Resize(cols, rows)
	t.gen++
	t.mu.Unlock()
	sh := t.sh
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sh.Resize(ctx, cols, rows); err != nil && !errors.Is(err, io.EOF) {
			return wheelErrMsg{err}
		}
		return nil
	}
}

// wheelErrMsg reports a failure talking to the shell.
type wheelErrMsg struct{ err error }

// rows renders the emulator's screen, one string per row, each exactly
// its width: cell text (made inert) and SGR colours only.
func (t *wheelTerm) rows() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cacheRows != nil && t.cacheGen == t.gen {
		return t.cacheRows
	}
	w, h := t.emu.Width(), t.emu.Height()
	out := make([]string, h)
	var b strings.Builder
	for y := range h {
		b.Reset()
		var cur uv.Style
		for x := 0; x < w; {
			c := t.emu.CellAt(x, y)
			if c == nil || c.Width == 0 {
				x++
				continue
			}
			if s := uv.StyleDiff(&cur, &c.Style); s != "" {
				b.WriteString(s)
				cur = c.Style
			}
			b.WriteString(cellText(c))
			x += max(c.Width, 1)
		}
		if !cur.IsZero() {
			b.WriteString(ansi.ResetStyle)
		}
		out[y] = b.String()
	}
	t.cacheRows, t.cacheGen = out, t.gen
	return out
}

// cellText is a cell's text as safe to print: the emulator keeps only
// printable text, and termsafe drops what could still reorder or hide
// it (bidi overrides, zero-width characters).
func cellText(c *uv.Cell) string {
	s := c.Content
	if s == "" {
		return strings.Repeat(" ", max(c.Width, 1))
	}
	if len(s) == 1 && s[0] >= 0x20 && s[0] < 0x7f {
		return s
	}
	safe := termsafe.SanitizeLine(s)
	if ansi.StringWidth(safe) != c.Width {
		return strings.Repeat("?", max(c.Width, 1))
	}
	return safe
}

// cursor is where the shell's cursor is, or nil when it is hidden.
func (t *wheelTerm) cursor() *tea.Cursor {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.emu.CursorHidden() {
		return nil
	}
	p := t.emu.CursorPosition()
	return tea.NewCursor(p.X, p.Y)
}

// size is the emulator's width and height.
func (t *wheelTerm) size() (int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emu.Width(), t.emu.Height()
}
