// Package tailbuf keeps the end of a stream of output whose length is not
// known in advance, so a message can quote how a command ended without
// holding all it printed. It is shared by session and suite; it knows
// nothing of either, and leaves formatting (markers, sanitising) to them.
package tailbuf

import "sync"

// Buffer is an io.Writer that keeps the last Max bytes written to it.
// It is safe for concurrent use: stdout and stderr often share one.
type Buffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

// New returns a Buffer that keeps the last max bytes.
func New(max int) *Buffer { return &Buffer{max: max} }

// Write never fails, so it can sit behind io.MultiWriter. It lets the
// buffer grow to twice max before cutting it back, so the copying is
// amortised over many small writes.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

// Tail returns a copy of the bytes kept and how many earlier bytes were
// dropped. The cut may fall inside a UTF-8 sequence.
func (b *Buffer) Tail() (tail []byte, dropped int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.buf[max(len(b.buf)-b.max, 0):]
	return append([]byte(nil), kept...), b.total - int64(len(kept))
}

// Total is the number of bytes written so far.
func (b *Buffer) Total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}
