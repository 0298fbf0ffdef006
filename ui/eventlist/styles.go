package eventlist

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Styles are the looks of the event list. Every kind of entry also has its
// own symbol, so the list stays readable without any style (NO_COLOR).
type Styles struct {
	User      lipgloss.Style
	Assistant lipgloss.Style
	Command   lipgloss.Style // "$ cmd" and other tool headers
	Output    lipgloss.Style // tool output lines
	Gutter    lipgloss.Style // the "│" before output lines
	OK        lipgloss.Style // ✓
	Fail      lipgloss.Style // ✗ exit N
	Pending   lipgloss.Style // ⏸ awaiting approval
	Running   lipgloss.Style
	Rejected  lipgloss.Style
	Error     lipgloss.Style
	Dim       lipgloss.Style // state changes, usage, notes
	DiffAdd   lipgloss.Style
	DiffDel   lipgloss.Style
	DiffHunk  lipgloss.Style
	DiffFile  lipgloss.Style
	Selected  lipgloss.Style // the selection marker in the left margin
	Match     lipgloss.Style // search match marker / matched line
	Header    lipgloss.Style // full-output view title
	LineNo    lipgloss.Style
	Footer    lipgloss.Style

	// SelectMarker is drawn in the left margin of the selected entry.
	SelectMarker string
	// OutputColors is how much of a command's own colouring is shown.
	OutputColors OutputColors
}

// DefaultStyles returns the palette. The basic ANSI colours are used so the
// terminal's own theme decides light or dark contrast; light only changes
// the few greys. noColor keeps bold/faint/reverse and drops every colour.
func DefaultStyles(noColor, light bool) Styles {
	s := lipgloss.NewStyle
	if noColor {
		return Styles{
			User:         s().Bold(true),
			Assistant:    s(),
			Command:      s().Bold(true),
			Output:       s(),
			Gutter:       s().Faint(true),
			OK:           s(),
			Fail:         s().Bold(true),
			Pending:      s().Reverse(true),
			Running:      s().Faint(true),
			Rejected:     s().Bold(true),
			Error:        s().Bold(true),
			Dim:          s().Faint(true),
			DiffAdd:      s(),
			DiffDel:      s().Faint(true),
			DiffHunk:     s().Faint(true),
			DiffFile:     s().Bold(true),
			Selected:     s().Bold(true),
			Match:        s().Reverse(true),
			Header:       s().Reverse(true),
			LineNo:       s().Faint(true),
			Footer:       s().Faint(true),
			SelectMarker: "▌",
			OutputColors: OutputAttrs,
		}
	}
	grey := lipgloss.Color("8")
	if light {
		grey = lipgloss.Color("7")
	}
	red, green, yellow := lipgloss.Color("1"), lipgloss.Color("2"), lipgloss.Color("3")
	blue, magenta, cyan := lipgloss.Color("4"), lipgloss.Color("5"), lipgloss.Color("6")
	return Styles{
		User:         s().Bold(true).Foreground(cyan),
		Assistant:    s(),
		Command:      s().Bold(true).Foreground(blue),
		Output:       s(),
		Gutter:       s().Foreground(grey),
		OK:           s().Foreground(green),
		Fail:         s().Bold(true).Foreground(red),
		Pending:      s().Bold(true).Foreground(yellow),
		Running:      s().Foreground(yellow),
		Rejected:     s().Foreground(yellow),
		Error:        s().Bold(true).Foreground(red),
		Dim:          s().Foreground(grey),
		DiffAdd:      s().Foreground(green),
		DiffDel:      s().Foreground(red),
		DiffHunk:     s().Foreground(cyan),
		DiffFile:     s().Bold(true),
		Selected:     s().Foreground(magenta),
		Match:        s().Reverse(true),
		Header:       s().Reverse(true),
		LineNo:       s().Foreground(grey),
		Footer:       s().Foreground(grey),
		OutputColors: OutputFull,
		SelectMarker: "▌",
	}
}

// PlainStyles has no attributes at all: the rendered list contains no
// escape sequence. Tests and dumb terminals use it.
func PlainStyles() Styles {
	return Styles{SelectMarker: ">"}
}

// paint applies a style to one line of text cheaply: lipgloss's Render is
// far too slow to call per visible line per frame, so the style's opening
// and closing sequences are captured once around a sentinel and reused.
// Styles with padding, width or borders are not captured and fall back to
// Render.
type paint struct {
	st        lipgloss.Style
	pre, post string
	ok        bool
}

const sentinel = "\uE000"

func newPaint(st lipgloss.Style) paint {
	p := paint{st: st}
	r := st.Render(sentinel)
	if i := strings.Index(r, sentinel); i >= 0 && strings.Count(r, sentinel) == 1 && !strings.Contains(r, "\n") {
		pre, post := r[:i], r[i+len(sentinel):]
		if ansi.StringWidth(pre) == 0 && ansi.StringWidth(post) == 0 {
			p.pre, p.post, p.ok = pre, post, true
		}
	}
	return p
}

// on styles s, which must be one line.
func (p paint) on(s string) string {
	if !p.ok {
		return p.st.Render(s)
	}
	if p.pre == "" && p.post == "" {
		return s
	}
	return p.pre + s + p.post
}

// palette is Styles prepared for fast painting.
type palette struct {
	User, Assistant, Command, Output, Gutter         paint
	OK, Fail, Pending, Running, Rejected, Error, Dim paint
	DiffAdd, DiffDel, DiffHunk, DiffFile             paint
	Selected, Match, Header, LineNo, Footer          paint
	SelectMarker                                     string
}

func newPalette(s Styles) palette {
	return palette{
		User: newPaint(s.User), Assistant: newPaint(s.Assistant), Command: newPaint(s.Command),
		Output: newPaint(s.Output), Gutter: newPaint(s.Gutter),
		OK: newPaint(s.OK), Fail: newPaint(s.Fail), Pending: newPaint(s.Pending),
		Running: newPaint(s.Running), Rejected: newPaint(s.Rejected), Error: newPaint(s.Error),
		Dim: newPaint(s.Dim), DiffAdd: newPaint(s.DiffAdd), DiffDel: newPaint(s.DiffDel),
		DiffHunk: newPaint(s.DiffHunk), DiffFile: newPaint(s.DiffFile), Selected: newPaint(s.Selected),
		Match: newPaint(s.Match), Header: newPaint(s.Header), LineNo: newPaint(s.LineNo),
		Footer: newPaint(s.Footer), SelectMarker: s.SelectMarker,
	}
}
