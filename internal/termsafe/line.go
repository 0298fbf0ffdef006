package termsafe

import (
	"strconv"
	"unicode/utf8"
)

// Attr is a set of text attributes carried over from SGR sequences. Only
// attributes that change how text looks are kept; blink and conceal (which
// could hide text from the user) are dropped.
type Attr uint8

// The attributes Line keeps.
const (
	Bold Attr = 1 << iota
	Faint
	Italic
	Underline
	Reverse
	Strike
)

// Color is a colour from an SGR sequence: the zero value is the terminal's
// default; Indexed and RGB build the others.
type Color uint32

const (
	colorIndexed = 1 << 24
	colorRGB     = 2 << 24
)

// Indexed is palette colour n (0–15 the basic and bright colours, 16–255
// the 256-colour cube and greys).
func Indexed(n uint8) Color { return colorIndexed | Color(n) }

// RGB is a 24-bit colour.
func RGB(r, g, b uint8) Color { return colorRGB | Color(r)<<16 | Color(g)<<8 | Color(b) }

// IsSet reports whether c is a colour rather than the default.
func (c Color) IsSet() bool { return c != 0 }

// Index returns the palette index and true for an indexed colour.
func (c Color) Index() (uint8, bool) { return uint8(c), c&0xff000000 == colorIndexed }

// Hex returns "#rrggbb" and true for a 24-bit colour.
func (c Color) Hex() (string, bool) {
	if c&0xff000000 != colorRGB {
		return "", false
	}
	const h = "0123456789abcdef"
	b := []byte{'#', 0, 0, 0, 0, 0, 0}
	for i := 0; i < 6; i++ {
		b[6-i] = h[(c>>(4*i))&0xf]
	}
	return string(b), true
}

// Style is how a run of text looked in the original output.
type Style struct {
	Fg, Bg Color
	Attr   Attr
}

// Span styles the bytes Start..End of a line returned by Line.
type Span struct {
	Start, End int
	Style      Style
}

// MaxSpans bounds the spans kept for one line; the rest of a line with
// more style changes shows unstyled.
const MaxSpans = 128

type cell struct {
	s  string
	st Style
}

// Line is SanitizeLine for one line of command output shown as a terminal
// would show it: well-formed SGR sequences become spans of structured
// style (never passed on as bytes), a bare CR returns to the start of the
// line so later text overwrites earlier text (a progress bar shows its last
// state), and tabs expand from the true column. Every other escape and
// control stays inert and visible exactly as in SanitizeLine. The text
// returned is valid UTF-8 with no control byte.
func Line(raw string) (string, []Span) {
	if !needsTerminal(raw) {
		return SanitizeLine(raw), nil
	}
	var (
		cells []cell
		col   int
		cur   Style
		buf   []byte
	)
	put := func(s string) {
		c := cell{s: s, st: cur}
		if col < len(cells) {
			cells[col] = c
		} else {
			cells = append(cells, c)
		}
		col++
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == 0x1b:
			if n := sgrLen(raw[i:]); n > 0 {
				cur = applySGR(cur, raw[i+2:i+n-1])
				i += n
				continue
			}
			put("␛")
			i++
		case c == '\r':
			col = 0
			i++
		case c == '\t':
			for n := TabWidth - col%TabWidth; n > 0; n-- {
				put(" ")
			}
			i++
		default:
			_, size := utf8.DecodeRuneInString(raw[i:])
			buf = appendSafe(buf[:0], raw[i:i+size], false)
			put(string(buf))
			i += size
		}
	}
	var out []byte
	var spans []Span
	for _, c := range cells {
		start := len(out)
		out = append(out, c.s...)
		if c.st == (Style{}) {
			continue
		}
		if k := len(spans) - 1; k >= 0 && spans[k].End == start && spans[k].Style == c.st {
			spans[k].End = len(out)
			continue
		}
		if len(spans) < MaxSpans {
			spans = append(spans, Span{Start: start, End: len(out), Style: c.st})
		}
	}
	return string(out), spans
}

func needsTerminal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b || s[i] == '\r' {
			return true
		}
	}
	return false
}

// applySGR folds the parameters of one SGR sequence (digits, ';' and ':')
// into st. Unknown or malformed parameters are ignored.
func applySGR(st Style, params string) Style {
	ps := splitParams(params)
	if len(ps) == 0 {
		return Style{}
	}
	for k := 0; k < len(ps); k++ {
		p := ps[k]
		switch {
		case p == 0:
			st = Style{}
		case p == 1:
			st.Attr |= Bold
		case p == 2:
			st.Attr |= Faint
		case p == 3:
			st.Attr |= Italic
		case p == 4:
			st.Attr |= Underline
		case p == 7:
			st.Attr |= Reverse
		case p == 9:
			st.Attr |= Strike
		case p == 22:
			st.Attr &^= Bold | Faint
		case p == 23:
			st.Attr &^= Italic
		case p == 24:
			st.Attr &^= Underline
		case p == 27:
			st.Attr &^= Reverse
		case p == 29:
			st.Attr &^= Strike
		case p >= 30 && p <= 37:
			st.Fg = Indexed(uint8(p - 30))
		case p == 39:
			st.Fg = 0
		case p >= 40 && p <= 47:
			st.Bg = Indexed(uint8(p - 40))
		case p == 49:
			st.Bg = 0
		case p >= 90 && p <= 97:
			st.Fg = Indexed(uint8(p - 90 + 8))
		case p >= 100 && p <= 107:
			st.Bg = Indexed(uint8(p - 100 + 8))
		case p == 38 || p == 48:
			c, used := extColor(ps[k+1:])
			k += used
			if used > 0 {
				if p == 38 {
					st.Fg = c
				} else {
					st.Bg = c
				}
			}
		}
	}
	return st
}

// extColor reads "5;n" or "2;r;g;b" after a 38 or 48; it returns how many
// parameters it used (0 when malformed: the rest is then ignored too).
func extColor(ps []int) (Color, int) {
	if len(ps) >= 2 && ps[0] == 5 && ps[1] >= 0 && ps[1] <= 255 {
		return Indexed(uint8(ps[1])), 2
	}
	if len(ps) >= 4 && ps[0] == 2 {
		r, g, b := ps[1], ps[2], ps[3]
		if r >= 0 && r <= 255 && g >= 0 && g <= 255 && b >= 0 && b <= 255 {
			return RGB(uint8(r), uint8(g), uint8(b)), 4
		}
	}
	return 0, len(ps)
}

// splitParams splits on ';' and ':' (colon sub-parameters are treated as
// parameters, which reads the common "38:2::r:g:b" loosely but safely). An
// empty parameter is 0; a huge one is clamped.
func splitParams(s string) []int {
	var ps []int
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ';' && s[i] != ':' {
			continue
		}
		v := 0
		if f := s[start:i]; f != "" {
			n, err := strconv.Atoi(f)
			if err != nil || n > 1<<16 {
				n = 1 << 16
			}
			v = n
		}
		ps = append(ps, v)
		start = i + 1
	}
	return ps
}
