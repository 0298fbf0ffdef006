package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

const (
	maxHistory      = 500
	promptMaxHeight = 6
)

// promptBox is the multi-line prompt with shell-like history: up on the
// first line and down on the last line walk through earlier prompts.
type promptBox struct {
	ta      textarea.Model
	history []string
	idx     int    // == len(history) while editing the draft
	draft   string // what was typed before walking the history
	// edits counts the changes made through promptBox (every message it
	// handles, every value or style it sets); with the textarea's text,
	// cursor, size and focus it keys the rendered view, which a flood of
	// output would otherwise restyle every frame (8 % of tether's CPU in
	// a 100 MB flood).
	edits    int
	viewKey  promptViewKey
	viewText string
	fitted   promptFit // the size fit last applied
}

// promptFit is what fit applied: the same again changes nothing, and
// resizing the textarea re-wraps its text (5 % of tether's CPU in a
// flood of output, where relayout runs after every event batch).
type promptFit struct {
	w, maxH, edits int
	focused        bool
}

// fit gives the box its width and the most lines it may grow to.
func (p *promptBox) fit(w, maxLines int) {
	k := promptFit{w: w, maxH: maxLines, edits: p.edits, focused: p.ta.Focused()}
	if k == p.fitted && p.ta.MaxHeight == maxLines {
		return
	}
	p.fitted = k
	p.ta.SetWidth(w)
	p.ta.MaxHeight = maxLines
	if p.ta.Height() > p.ta.MaxHeight {
		p.ta.SetHeight(p.ta.MaxHeight)
	}
}

// promptViewKey is what the textarea's view depends on: the edits made
// through promptBox, and what code elsewhere may change directly.
type promptViewKey struct {
	edits, w, h, maxH int
	line, col, row    int
	focused           bool
	text              string
}

func newPromptBox(st styles, isDark bool, placeholder string) promptBox {
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = "› "
	// One marker for the message, not one per line of it.
	ta.SetPromptFunc(2, func(pi textarea.PromptInfo) string {
		if pi.LineNumber == 0 {
			return "› "
		}
		return "  "
	})
	ta.Placeholder = placeholder
	ta.DynamicHeight = true
	ta.MinHeight = 1
	ta.MaxHeight = promptMaxHeight
	ta.MaxContentHeight = 5000
	ta.CharLimit = 0
	// Enter sends; these insert a newline instead.
	ta.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("shift+enter", "alt+enter", "ctrl+j"))
	// Keys the shell takes for itself must not also act in the text.
	ta.KeyMap.TransposeCharacterBackward.Unbind()
	ta.KeyMap.DeleteCharacterForward.SetKeys("delete")
	ta.KeyMap.LinePrevious.SetKeys("up")
	ta.KeyMap.LineNext.SetKeys("down")
	ta.KeyMap.LineStart.SetKeys("home")
	ta.KeyMap.CharacterBackward.SetKeys("left")
	// The terminal's own cursor, placed by View (promptCursor): blinking
	// is the terminal's job, so an idle screen sends nothing.
	ta.SetVirtualCursor(false)
	p := promptBox{ta: ta}
	p.setStyles(st, isDark)
	return p
}

func (p *promptBox) setStyles(st styles, isDark bool) {
	p.edits++
	s := textarea.DefaultStyles(isDark)
	if st.noColor {
		plain := textarea.StyleState{
			Base: lipgloss.NewStyle(), Text: lipgloss.NewStyle(),
			Placeholder: lipgloss.NewStyle().Faint(true), Prompt: lipgloss.NewStyle(),
			CursorLine: lipgloss.NewStyle(), EndOfBuffer: lipgloss.NewStyle(),
			LineNumber: lipgloss.NewStyle(), CursorLineNumber: lipgloss.NewStyle(),
			Selection: lipgloss.NewStyle().Reverse(true),
		}
		s.Focused, s.Blurred = plain, plain
		s.Blurred.Text = lipgloss.NewStyle().Faint(true)
		s.Cursor.Color = nil
	} else {
		// No highlighted cursor line: the box is small and the band is noise.
		s.Focused.CursorLine = lipgloss.NewStyle()
	}
	p.ta.SetStyles(s)
}

// visualRows is how many screen rows the text takes at the box's width,
// counting wrapped lines (the textarea's own height is capped by the box,
// so it cannot say the box should grow), up to limit.
func (p *promptBox) visualRows(limit int) int {
	n := p.ta.LineCount()
	if n >= limit {
		return n
	}
	w := p.ta.Width()
	if w <= 0 {
		return n
	}
	rows := 0
	for _, line := range strings.Split(p.ta.Value(), "\n") {
		rows++
		if ansi.StringWidth(line) >= w { // the textarea wraps a full line too
			rows += strings.Count(ansi.Wrap(line, w-1, " "), "\n")
		}
		if rows >= limit {
			return limit
		}
	}
	return max(rows, n)
}

// view is the textarea's view, rendered again only when something it
// shows changed.
func (p *promptBox) view() string {
	li := p.ta.LineInfo()
	k := promptViewKey{edits: p.edits, w: p.ta.Width(), h: p.ta.Height(), maxH: p.ta.MaxHeight,
		line: p.ta.Line(), col: li.ColumnOffset, row: li.RowOffset, focused: p.ta.Focused(), text: p.ta.Value()}
	if k != p.viewKey || p.viewText == "" {
		p.viewKey, p.viewText = k, p.ta.View()
	}
	return p.viewText
}

func (p *promptBox) value() string { return p.ta.Value() }
func (p *promptBox) empty() bool   { return strings.TrimSpace(p.ta.Value()) == "" }

func (p *promptBox) reset() {
	p.edits++
	p.ta.Reset()
	p.idx = len(p.history)
	p.draft = ""
}

// seed starts the history with earlier runs' prompts, oldest first.
func (p *promptBox) seed(h []string) {
	if len(h) > maxHistory {
		h = h[len(h)-maxHistory:]
	}
	p.history = append(p.history[:0:0], h...)
	p.idx = len(p.history)
}

// remember adds a sent prompt to the history (no consecutive duplicates)
// and reports whether it is new.
func (p *promptBox) remember(s string) (added bool) {
	if s == "" {
		return false
	}
	if n := len(p.history); n == 0 || p.history[n-1] != s {
		added = true
		p.history = append(p.history, s)
		if len(p.history) > maxHistory {
			p.history = p.history[len(p.history)-maxHistory:]
		}
	}
	p.idx = len(p.history)
	p.draft = ""
	return added
}

func (p *promptBox) onFirstLine() bool {
	return p.ta.Line() == 0 && p.ta.LineInfo().RowOffset == 0
}

func (p *promptBox) onLastLine() bool {
	li := p.ta.LineInfo()
	return p.ta.Line() >= p.ta.LineCount()-1 && li.RowOffset >= li.Height-1
}

// historyPrev shows the previous prompt; it reports whether it did.
func (p *promptBox) historyPrev() bool {
	if p.idx == 0 || len(p.history) == 0 {
		return false
	}
	if p.idx == len(p.history) {
		p.draft = p.ta.Value()
	}
	p.idx--
	p.edits++
	p.ta.SetValue(p.history[p.idx])
	return true
}

// historyNext moves towards the draft; it reports whether it did.
func (p *promptBox) historyNext() bool {
	if p.idx >= len(p.history) {
		return false
	}
	p.idx++
	p.edits++
	if p.idx == len(p.history) {
		p.ta.SetValue(p.draft)
	} else {
		p.ta.SetValue(p.history[p.idx])
	}
	return true
}

// update handles one message for the focused prompt box, history first.
func (p *promptBox) update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "up":
			if p.onFirstLine() && p.historyPrev() {
				return nil
			}
		case "down":
			if p.onLastLine() && p.historyNext() {
				return nil
			}
		}
	}
	var cmd tea.Cmd
	p.edits++
	p.ta, cmd = p.ta.Update(msg)
	return cmd
}
