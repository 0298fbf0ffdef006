package redact

import (
	"strings"
	"unicode/utf8"
)

// Stream redacts a text that arrives in chunks (tool output, streamed
// model text), catching a secret split across chunks: a chunk's tail that
// could begin a secret (at most a fragment's length less one byte) is held
// back until the next chunk or Flush, and a secret that runs on from one
// chunk into the next is masked by the marker already written. A Stream
// is not safe for concurrent use.
type Stream struct {
	set   *Set
	carry string // held back: not written yet
	// covered is the end of the text written so far when that text ended
	// with Marker: the raw bytes it stands for (the last few), so a
	// secret going on in the next chunk is recognised and joins it.
	covered string
	m       []match
}

// Stream returns a redactor for one stream of chunks.
func (s *Set) Stream() *Stream { return &Stream{set: s} }

// Write returns the redacted text of chunk that is safe to show now.
func (st *Stream) Write(chunk string) string {
	if st.set.Empty() || chunk == "" {
		return chunk
	}
	buf := chunk
	if len(st.covered)+len(st.carry) > 0 {
		buf = st.covered + st.carry + chunk
	}
	return st.write(buf)
}

// WriteBytes is Write of string(chunk), the one copy of chunk made (a
// tool's 64 KiB reads are not copied a second time to join the tail
// held back from the last one).
func (st *Stream) WriteBytes(chunk []byte) string {
	if st.set.Empty() || len(chunk) == 0 {
		return string(chunk)
	}
	if len(st.covered)+len(st.carry) == 0 {
		return st.write(string(chunk))
	}
	var b strings.Builder
	b.Grow(len(st.covered) + len(st.carry) + len(chunk))
	b.WriteString(st.covered)
	b.WriteString(st.carry)
	b.Write(chunk)
	return st.write(b.String())
}

// write redacts buf, which is covered + carry + the new chunk.
func (st *Stream) write(buf string) string {
	s := st.set
	c := len(st.covered)
	n := len(buf)
	st.m = st.m[:0]
	if c > 0 {
		st.m = append(st.m, match{0, c})
	}
	if n >= MinSecretLen {
		st.m = s.find(buf, st.m)
	}
	tailFrom := 0
	if len(st.m) > 0 {
		tailFrom = st.m[len(st.m)-1].end
	}
	hold := 0
	for hold < s.maxHold && n-hold > tailFrom && s.isRun(buf[n-hold-1:]) {
		hold++
	}
	for hold > 0 && hold < n-tailFrom && !utf8.RuneStart(buf[n-hold]) {
		hold++ // keep a character whole
	}
	st.carry = strings.Clone(buf[n-hold:]) // not the whole chunk
	out := buf[:n-hold]
	if len(st.m) == 0 {
		st.covered = ""
		return out
	}
	last := st.m[len(st.m)-1]
	var b strings.Builder
	b.Grow(len(out) - c + len(st.m)*len(Marker))
	at := c
	for _, x := range st.m {
		if x.start == 0 && c > 0 {
			at = x.end // joins the marker already written
			continue
		}
		b.WriteString(out[at:x.start])
		b.WriteString(Marker)
		at = x.end
	}
	b.WriteString(out[at:])
	st.covered = ""
	if last.end == len(out) {
		st.covered = strings.Clone(out[max(last.start, last.end-s.maxHold):])
	}
	return b.String()
}

// Flush returns what Write held back (it was too short to be a fragment)
// and forgets the stream's state.
func (st *Stream) Flush() string {
	c := st.carry
	st.carry, st.covered = "", ""
	return c
}
