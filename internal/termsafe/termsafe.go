// Package termsafe turns untrusted text (sandbox output, model text, file
// diffs) into text that is safe to hand to a terminal: every escape and
// control sequence is made inert and visible, so what the user sees is what
// the bytes were, and nothing the sandbox prints can move the cursor, clear
// the screen, set the clipboard (OSC 52), plant a hyperlink (OSC 8), change
// the title, query the terminal (DA/DSR) or otherwise talk to it.
//
// It owns only pure string functions; it knows nothing of the UI or of
// sessions and must stay free of I/O.
//
// The rules, applied byte by byte:
//
//   - ESC (0x1b) is shown as "␛" followed by the rest of the sequence as
//     plain text ("␛[2J", "␛]52;c;…␇"), except well-formed SGR sequences
//     (ESC [ digits/;/: m, at most 64 bytes) which only carry colour and are
//     dropped silently, so coloured output stays readable.
//   - Other C0 controls and DEL are shown as their Unicode control pictures
//     (BEL "␇", BS "␈", NUL "␀", DEL "␡"), bare CR as "␍". In Sanitize,
//     CR LF becomes LF and LF is kept; in the line variants LF is "␊".
//   - Tabs expand to spaces up to the next multiple of 8 columns.
//   - C1 controls (U+0080–U+009F) and bytes that are not valid UTF-8 are
//     shown as a literal `\xNN`; bidirectional overrides and isolates and
//     the Unicode line/paragraph separators as a literal `\uNNNN`, so they
//     can neither act on the terminal nor disguise surrounding text.
//
// The output is valid UTF-8, contains no byte below 0x20 other than '\n'
// (Sanitize only), no DEL, no C1 control, and Sanitize is idempotent.
package termsafe

import (
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// TabWidth is the distance between tab stops.
const TabWidth = 8

// maxSGR bounds the length of an SGR sequence that is silently dropped;
// longer ones are shown, because nothing legitimate needs more.
const maxSGR = 64

// Sanitize returns s with every control and escape sequence neutralised as
// described in the package comment. Newlines are kept; CR LF becomes LF.
func Sanitize(s string) string {
	if isPlainASCII(s, true) {
		return s
	}
	return string(appendSafe(make([]byte, 0, len(s)+16), s, true))
}

// SanitizeLine is Sanitize for one line: a newline in s is shown as "␊"
// and CR is always "␍", so the result never spans more than one row.
func SanitizeLine(s string) string {
	if isPlainASCII(s, false) {
		return s
	}
	return string(appendSafe(make([]byte, 0, len(s)+16), s, false))
}

// AppendLine appends SanitizeLine(s) to dst, without allocating when dst
// has room. It is the ingestion fast path for streamed output.
func AppendLine(dst []byte, s string) []byte {
	return appendSafe(dst, s, false)
}

// isPlainASCII reports whether s needs no change: printable ASCII only
// (and newlines, when multiline is set).
func isPlainASCII(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if c == '\n' && multiline {
			continue
		}
		return false
	}
	return true
}

const hexDigits = "0123456789abcdef"

func appendSafe(dst []byte, s string, multiline bool) []byte {
	// Tab stops need the display column. It is measured lazily, only when a
	// tab appears: col is the column at dst[colPos], and only the text
	// written since colPos is measured, so many tabs stay linear.
	col, colPos := 0, len(dst)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			// Copy the whole printable-ASCII run at once.
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < 0x7f {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		case c == '\n':
			if multiline {
				dst = append(dst, '\n')
				col, colPos = 0, len(dst)
			} else {
				dst = append(dst, "␊"...)
			}
		case c == '\r':
			if multiline && i+1 < len(s) && s[i+1] == '\n' {
				// CR LF: the CR is only a line-ending artefact.
			} else {
				dst = append(dst, "␍"...)
			}
		case c == '\t':
			col += width(dst[colPos:])
			n := TabWidth - col%TabWidth
			dst = append(dst, "        "[:n]...)
			col, colPos = col+n, len(dst)
		case c == 0x1b:
			if n := sgrLen(s[i:]); n > 0 {
				i += n
				continue
			}
			dst = append(dst, "␛"...)
		case c < 0x20:
			// Control pictures: U+2400 + c.
			dst = utf8.AppendRune(dst, rune(0x2400+int(c)))
		case c == 0x7f:
			dst = append(dst, "␡"...)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size <= 1:
				dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
				i++
				continue
			case r >= 0x80 && r <= 0x9f:
				dst = append(dst, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
			case isInvisibleFormat(r) && r > 0xffff:
				dst = append(dst, '\\', 'U', '0', '0', '0',
					hexDigits[(r>>16)&0xf], hexDigits[(r>>12)&0xf], hexDigits[(r>>8)&0xf],
					hexDigits[(r>>4)&0xf], hexDigits[r&0xf])
			case isInvisibleFormat(r):
				dst = append(dst, '\\', 'u',
					hexDigits[(r>>12)&0xf], hexDigits[(r>>8)&0xf],
					hexDigits[(r>>4)&0xf], hexDigits[r&0xf])
			default:
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return dst
}

// sgrLen returns the length of the well-formed SGR sequence at the start of
// s (which begins with ESC), or 0 when there is none.
func sgrLen(s string) int {
	if len(s) < 3 || s[1] != '[' {
		return 0
	}
	for j := 2; j < len(s) && j < maxSGR; j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9', c == ';', c == ':':
		case c == 'm':
			return j + 1
		default:
			return 0
		}
	}
	return 0
}

// isInvisibleFormat reports the format characters that can reorder or
// break text on screen (Trojan-Source style bidi tricks) and are therefore
// shown as escapes.
func isInvisibleFormat(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case r == 0x200d:
		return false // zero-width joiner: emoji sequences (👩‍💻) need it
	}
	// Every other format character is invisible (zero-width space, word
	// joiner, BOM, soft hyphen, tag characters that smuggle text): shown.
	return r >= 0x80 && unicode.Is(unicode.Cf, r)
}

// width is the display width of already-sanitized text, without the cost
// of grapheme segmentation when it is ASCII.
func width(b []byte) int {
	for _, c := range b {
		if c >= 0x80 {
			return ansi.StringWidth(string(b))
		}
	}
	return len(b)
}
