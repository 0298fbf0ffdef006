// Package jsonsafe makes JSON text safe to print on a terminal. It knows
// nothing of tether's types: it filters bytes.
package jsonsafe

import (
	"encoding/binary"
	"io"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// Writer wraps w, which receives JSON text (from json.Encoder), so that
// DEL and the C1 control characters U+0080–U+009F are written as \u007f and
// \u0080–\u009f escapes instead of raw. encoding/json escapes C0 controls
// but not these, and sandbox output may carry them (CSI as U+009B, OSC as
// U+009D); some terminals act on them when the JSON is printed there. The
// JSON means the same: such characters can only occur inside strings. A C1
// character split across two writes is handled; json.Encoder ends every
// value with a newline, so nothing is held back after the last one.
func Writer(w io.Writer) io.Writer { return &inertJSON{w: w} }

type inertJSON struct {
	w       io.Writer
	pending bool // the last write ended with 0xC2, the lead byte of C1 runes
	buf     []byte
}

func (j *inertJSON) Write(p []byte) (int, error) {
	out := j.buf[:0]
	i := 0
	if j.pending {
		j.pending = false
		if len(p) > 0 && p[0] >= 0x80 && p[0] <= 0x9f {
			out = appendEscape(out, p[0])
			i = 1
		} else {
			out = append(out, 0xc2)
		}
	}
	for ; i < len(p); i++ {
		b := p[i]
		if b == 0x7f {
			out = appendEscape(out, b)
			continue
		}
		if b != 0xc2 {
			out = append(out, b)
			continue
		}
		if i+1 == len(p) {
			j.pending = true
			break
		}
		if n := p[i+1]; n >= 0x80 && n <= 0x9f {
			out = appendEscape(out, n)
			i++
			continue
		}
		out = append(out, b)
	}
	j.buf = out
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func appendEscape(out []byte, b byte) []byte {
	const hex = "0123456789abcdef"
	return append(out, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
}

// AppendString appends s to dst as a JSON string: the very bytes a
// json.Encoder with SetEscapeHTML(false) writes for s, passed through
// Writer. C0 controls, DEL and C1 controls are escaped, invalid UTF-8
// becomes \ufffd, U+2028 and U+2029 are escaped as encoding/json does;
// everything else is copied. For a hot path (a recording's output
// chunks) that cannot afford reflection and a second pass over the text.
func AppendString(dst []byte, s string) []byte {
	// Only read: a view of the string's bytes, not a copy of 64 KiB.
	return AppendBytes(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// AppendBytes is AppendString of the text s.
func AppendBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	start, n := 0, len(s)
	for i := 0; i < n; {
		for i+8 <= n {
			m := specialBytes(binary.LittleEndian.Uint64(s[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8 // the first byte to look at
				break
			}
			i += 8
		}
		if i == n {
			break
		}
		b := s[i]
		switch {
		case plainByte[b]:
			i++
			continue
		case b < utf8.RuneSelf:
			dst = appendASCIIEscape(append(dst, s[start:i]...), b)
			i++
			start = i
			continue
		case b >= 0xc3 && b <= 0xdf && i+1 < n && s[i+1]&0xc0 == 0x80:
			i += 2 // U+00C0–U+07FF: valid, nothing to escape
			continue
		case b >= 0xe1 && b <= 0xef && b != 0xed && i+2 < n && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 &&
			(b != 0xe2 || s[i+1] != 0x80 || s[i+2]&^1 != 0xa8):
			i += 3 // U+1000–U+FFFF but surrogates, U+2028, U+2029: valid, nothing to escape
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r <= 0x9f: // C1
			dst = appendEscape(append(dst, s[start:i]...), byte(r))
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', byte('0'+(r&0xf)))
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendASCIIEscape(dst []byte, b byte) []byte {
	switch b {
	case '\\', '"':
		return append(dst, '\\', b)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return appendEscape(dst, b) // other C0 controls, DEL
}

// plainByte tells the bytes AppendBytes copies as they are, alone.
var plainByte = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// specialBytes has the high bit set in the lowest byte of w (the first
// in memory) that is not plainByte, and maybe in some after it; 0 when
// all 8 are plain. Borrows and carries only run upwards, so the lowest
// bit set is exact.
func specialBytes(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := w^(ones*'"'), w^(ones*'\\')
	t := (w - ones*0x20) &^ w // a byte below 0x20
	t |= (q - ones) &^ q      // a quote
	t |= (bs - ones) &^ bs    // a backslash
	t |= (w + ones) | w       // DEL or a byte >= 0x80
	return t & highs
}
