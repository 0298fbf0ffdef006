// Package eventlist owns the live event stream of tether's TUI: every
// session event (prompts, streamed assistant text, tool calls with their
// streaming output and results, errors, state changes) as a scrollable,
// searchable list, plus a full-output view of one tool call. Sandbox and
// model text is untrusted and goes through internal/termsafe before it reaches
// the screen.
//
// It is a sub-component: the app shell (package ui) owns layout, focus,
// the prompt, approvals and the status bar, routes keys here only when
// this list has focus (all keys while CapturingInput), and calls View for
// a box of the size it set. This package must not talk to the session,
// the sandbox or the LLM, and does no I/O other than its own spill files.
//
// Cost stays flat with session length: Append is amortized O(1); View
// renders only entries that are on screen, each render cached per entry
// (keyed by width, version and expanded flag; a finished entry's render is
// frozen) in a bounded LRU. The scroll position is an anchor (entry,
// line-within-entry) rather than a global line number, so locating the
// first visible line is O(1) and a resize invalidates nothing eagerly:
// entries are re-rendered at the new width only when they come into view.
// Tool output keeps at most about MaxOutputRAM bytes per call in memory
// (the first and the newest lines); when more would be dropped, every line
// goes to a spill file with a sparse line index, and the full-output view
// reads only its visible window from there.
//
// Keys (only while focused; all keys while CapturingInput): j/k or
// ctrl+n/ctrl+p select the next/previous entry, ↑/↓ pgup/pgdn ctrl+u/ctrl+d
// scroll, g/home go to the top, G/end/f follow again (scrolling down to the
// end follows too), space/o expand the selected tool output (or the tool
// call above the selected entry), O expand all, enter opens the full
// output, / searches (enter jumps to the nearest match above, n/N
// next/previous, ctrl+f shows only matching entries). In the full view:
// esc/q close, ↑/↓/j/k pgup/pgdn/space g/G ←/→/h/l, / n N.
//
// The assistant's text is markdown rendered with glamour (code blocks
// highlighted by chroma) from sanitized text, its output parsed back into
// structured styles the list paints itself; a finished reply renders once,
// an open one at most once a frame, past 1 KiB only its unfinished block.
//
// Output display: a line redrawn with bare CRs (a progress bar) shows its
// newest state behind a "␍" marker in the list; the full view shows the
// whole line with every CR as "␍". Lines longer than 8 KiB continue on the
// next stored line. See package termsafe for what happens to escapes.
package eventlist

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"charm.land/bubbles/v2/key"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/tether-dev/tether/internal/termsafe"
)

// DefaultMaxOutputRAM is the per-tool-call output kept in memory when
// Options.MaxOutputRAM is 0.
const DefaultMaxOutputRAM = 256 << 10

// lruSize bounds how many entries keep a cached render.
const lruSize = 1024

// Options configure a Model. The zero value is usable.
type Options struct {
	// NoColor drops colours (bold/faint/reverse stay); pass
	// os.Getenv("NO_COLOR") != "".
	NoColor bool
	// Light picks greys for a light background.
	Light bool
	// Styles overrides the palette (e.g. PlainStyles() for no escape
	// sequences at all); nil uses DefaultStyles(NoColor, Light).
	Styles *Styles
	// SpillDir is where big tool outputs are kept; "" = os.TempDir().
	SpillDir string
	// MaxOutputRAM caps one tool call's output in memory; 0 = 256 KiB.
	MaxOutputRAM int64
	// ShowUsage adds a dim line per LLM call with its tokens and cost
	// (the status bar usually shows the totals instead).
	ShowUsage bool
	// Logger receives spill-file problems; nil discards.
	Logger *slog.Logger
	// SpaceTaken is for hosts that use space themselves (replay's
	// play/pause): expanding is then only "o", and the list says so.
	SpaceTaken bool
	// LazyResize: while the width changes again and again (a window's
	// edge dragged), finished replies already rendered are re-flowed
	// instead of rendered by glamour at every width; the host calls
	// SettleResize once the size has stayed put, and they are rendered
	// properly on the next frame.
	LazyResize bool
}

// Model is the event list. Use New; all methods must be called from the
// Bubble Tea goroutine.
type Model struct {
	opts Options
	st   Styles
	pal  palette
	// spanPaints caches the paints of command output colours.
	spanPaints map[termsafe.Style]paint
	md         *markdown // made at first use, dropped with the styles
	keys       KeyMap
	log        *slog.Logger
	maxRAM     int64

	entries       []*entry
	calls         map[string]*entry // tool calls by ToolCallID (late output still finds its call)
	pending       []*entry
	openAssistant *entry
	openReasoning *entry

	width, height int
	// A drag of the window's edge (resize_lazy.go): when the width last
	// changed, whether changes come close together, and whether the
	// render just made re-flowed a reply instead of rendering it.
	lastResize time.Time
	dragging   bool
	reflowed   bool
	focused    bool

	follow bool
	top    anchor // first visible line when not following
	sel    int    // selected entry (index in the visible order); -1 = the last one
	unseen int    // entries added while not following

	expandAll bool
	lru       []*entry
	lruNext   int

	search searchState
	full   *fullView

	rows      []row  // reused by every frame
	selGutter string // rendered selection marker
	gutterOut string // rendered "│ " before output lines
	plainOut  bool
	styleGen  uint32 // bumped by SetStyles; part of every render's cache key
	closed    bool
}

// anchor is a scroll position: line off of visible entry idx.
type anchor struct{ idx, off int }

// New returns an empty list that follows new events.
func New(opts Options) *Model {
	st := DefaultStyles(opts.NoColor, opts.Light)
	if opts.Styles != nil {
		st = *opts.Styles
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	maxRAM := opts.MaxOutputRAM
	if maxRAM <= 0 {
		maxRAM = DefaultMaxOutputRAM
	}
	keys := DefaultKeyMap()
	if opts.SpaceTaken {
		keys.Toggle = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "expand output"))
	}
	m := &Model{
		opts:   opts,
		keys:   keys,
		log:    lg,
		maxRAM: maxRAM,
		calls:  make(map[string]*entry),
		follow: true,
		sel:    -1,
		lru:    make([]*entry, 0, lruSize),
	}
	m.SetStyles(st)
	m.search.input = newInput(m.plainInput())
	return m
}

func newInput(plain bool) textinput.Model {
	ti := textinput.New()
	if plain {
		// No colours: NO_COLOR, or a caller-supplied palette.
		var s textinput.Styles
		s.Focused.Placeholder = lipgloss.NewStyle().Faint(true)
		s.Blurred = s.Focused
		s.Cursor.Color = lipgloss.NoColor{}
		ti.SetStyles(s)
	}
	ti.Prompt = "/"
	ti.Placeholder = "search"
	ti.CharLimit = 256
	return ti
}

func (m *Model) plainInput() bool { return m.opts.NoColor || m.opts.Styles != nil }

// SetSize sets the box View fills. Cached renders at another width are
// simply not used; nothing is recomputed eagerly.
func (m *Model) SetSize(width, height int) {
	m.noteResize(max(width, 0))
	m.width, m.height = max(width, 0), max(height, 0)
	m.search.input.SetWidth(max(m.width-12, 1))
	if m.full != nil {
		m.full.clamp(m)
	}
}

// SetStyles replaces the palette (e.g. when the terminal reports a light
// background). Entries re-render lazily as they come into view.
func (m *Model) SetStyles(st Styles) {
	m.st = st
	m.pal = newPalette(st)
	m.spanPaints = nil
	m.md = nil
	m.gutterOut = m.pal.Gutter.on("│") + " "
	m.plainOut = m.pal.Output.on("x") == "x"
	m.selGutter = m.pal.Selected.on(st.SelectMarker) + " "
	m.styleGen++
}

// SetLight switches the default palette between light and dark
// backgrounds; it does nothing when Options.Styles was given.
func (m *Model) SetLight(light bool) {
	if m.opts.Styles != nil || m.opts.Light == light {
		return
	}
	m.opts.Light = light
	m.SetStyles(DefaultStyles(m.opts.NoColor, light))
}

// Focus gives the list the keyboard.
func (m *Model) Focus() { m.focused = true }

// Blur takes the keyboard away. An open search box closes; an open full
// view stays on screen (the user may read it while answering an approval)
// but no longer captures input until the list is focused again.
func (m *Model) Blur() {
	m.focused = false
	m.search.typing = false
	m.search.input.Blur()
	if m.full != nil {
		m.full.search.typing = false
		m.full.search.input.Blur()
	}
}

// Focused reports whether the list has the keyboard.
func (m *Model) Focused() bool { return m.focused }

// Following reports whether the list sticks to the newest event.
func (m *Model) Following() bool { return m.follow }

// InFullView reports whether one call's full output fills the list.
func (m *Model) InFullView() bool { return m.full != nil }

// CapturingInput reports whether every key should come here: the list is
// focused and its search box or full-output view is open.
func (m *Model) CapturingInput() bool {
	return m.focused && (m.search.typing || m.full != nil)
}

// Len is the number of entries (one per message, tool call or note, not
// one per event).
func (m *Model) Len() int { return len(m.entries) }

// Close removes every spill file. The list stays usable for viewing what
// is in memory.
func (m *Model) Close() error {
	m.closeFull()
	m.closed = true
	var errs []error
	for _, e := range m.entries {
		if e.out != nil {
			if err := e.out.close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Follow jumps to the newest event and sticks there.
func (m *Model) Follow() {
	m.follow = true
	m.sel = -1
	m.unseen = 0
}

// Unseen is how many entries arrived below the screen since following
// stopped (for a "↓ N new" hint).
func (m *Model) Unseen() int { return m.unseen }

// Update handles keys (when focused or capturing) and the mouse wheel.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if !m.focused {
			return nil
		}
		if m.full != nil {
			return m.full.update(m, msg)
		}
		if m.search.typing {
			return m.updateSearchInput(msg)
		}
		return m.handleKey(msg)
	case tea.MouseWheelMsg:
		if m.full != nil {
			m.full.wheel(m, msg.Mouse().Button)
			return nil
		}
		switch msg.Mouse().Button {
		case tea.MouseWheelUp:
			m.scrollUp(3)
		case tea.MouseWheelDown:
			m.scrollDown(3)
		}
		return nil
	case tea.PasteMsg:
		if m.search.typing || (m.full != nil && m.full.search.typing) {
			var cmd tea.Cmd
			in := &m.search.input
			if m.full != nil {
				in = &m.full.search.input
			}
			*in, cmd = in.Update(msg)
			return cmd
		}
	default:
		// Cursor blinks and the like for an open text input.
		if m.full != nil && m.full.search.typing {
			var cmd tea.Cmd
			m.full.search.input, cmd = m.full.search.input.Update(msg)
			return cmd
		}
		if m.search.typing {
			var cmd tea.Cmd
			m.search.input, cmd = m.search.input.Update(msg)
			return cmd
		}
	}
	return nil
}
