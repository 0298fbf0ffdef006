package llm

import (
	"strings"
	"unsafe"
)

// textBuf accumulates streamed text without copying what it already
// holds. A strings.Builder doubles its array, holding the old and the new
// one at once, and String would need one more copy for an immutable
// result: for a reply near the 8 MiB limit, up to three times the reply
// in memory. textBuf keeps small texts in blocks joined once by String;
// a text that passes an eighth of the reply limit moves, once, into one
// array sized for what the reply may still grow to, which String then
// hands out as is.
type textBuf struct {
	blocks [][]byte
	big    []byte
	n      int
	// limit is the reply limit in bytes; 0 keeps everything in blocks.
	// used, when set, is the bytes the whole reply holds (its other
	// buffers included, this write not yet), so the one array is sized
	// for what the reply may still add, not for the whole limit again.
	limit int
	used  *int
	// sealed is set once String has handed out big: a later write must
	// not touch that array, so it copies first.
	sealed bool
}

const (
	textBlockMin = 256
	textBlockMax = 64 << 10
)

func (b *textBuf) WriteString(s string) {
	if s == "" {
		return
	}
	b.n += len(s)
	if b.big == nil && b.limit > 0 && b.n > b.limit/8 {
		room := b.limit
		if b.used != nil {
			room = max(b.limit-*b.used, 0) + b.n
		}
		b.big = make([]byte, 0, max(room, b.n)+textBlockMax)
		for _, blk := range b.blocks {
			b.big = append(b.big, blk...)
		}
		b.blocks = nil
	}
	if b.big != nil {
		if b.sealed {
			b.big, b.sealed = append([]byte(nil), b.big...), false
		}
		b.big = append(b.big, s...)
		return
	}
	for len(s) > 0 {
		last := len(b.blocks) - 1
		if last < 0 || len(b.blocks[last]) == cap(b.blocks[last]) {
			size := textBlockMin
			if last >= 0 {
				size = min(2*cap(b.blocks[last]), textBlockMax)
			}
			b.blocks = append(b.blocks, make([]byte, 0, size))
			last++
		}
		blk := b.blocks[last]
		k := min(cap(blk)-len(blk), len(s))
		b.blocks[last] = append(blk, s[:k]...)
		s = s[k:]
	}
}

// Len is the bytes written.
func (b *textBuf) Len() int { return b.n }

// String returns the text: a large one without copying it (the buffer is
// sealed: writes after this copy first), a small one in one exactly sized
// allocation.
func (b *textBuf) String() string {
	switch {
	case b.n == 0:
		return ""
	case b.big != nil:
		b.sealed = true
		return unsafe.String(unsafe.SliceData(b.big), len(b.big))
	}
	var sb strings.Builder
	sb.Grow(b.n)
	for _, blk := range b.blocks {
		sb.Write(blk)
	}
	return sb.String()
}
