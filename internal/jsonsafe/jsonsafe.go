// Package jsonsafe makes JSON text safe to print on a terminal. It knows
// nothing of tether's types: it filters bytes.
package jsonsafe

import "io"

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
