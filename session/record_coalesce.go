package session

import (
	"strings"
	"time"
)

// A stream's chunks that the bus gives one Seq (the assistant's text, one
// tool call's stdout or stderr) are written as one recording line per
// window instead of one line per chunk: a reply streamed a few characters
// at a time otherwise makes a recording several times its size (each line
// carries ~100 bytes of id, seq, time and kind). ReadRecording joins lines
// of one Seq either way, so the file reads back the same. The cost: a
// process killed with SIGKILL loses at most the last window of a stream.
const (
	coalesceWindow = 100 * time.Millisecond
	coalesceBytes  = 64 << 10
)

// pendingChunk is the stream text not yet written.
type pendingChunk struct {
	ev   Event // the first chunk, its text replaced by text
	text strings.Builder
}

// chunk records a chunk event, joined to the pending one of its stream.
// r.mu held.
func (r *recorder) chunk(ev *Event, data string) error {
	if p := r.pending; p != nil && p.ev.Seq == ev.Seq && sameStream(&p.ev, ev) &&
		ev.Time.Sub(p.ev.Time) < coalesceWindow && p.text.Len()+len(data) <= coalesceBytes {
		p.text.WriteString(data)
		return nil
	}
	if err := r.flushLocked(); err != nil {
		return err
	}
	p := &pendingChunk{ev: *ev}
	p.text.WriteString(data)
	r.pending = p
	return nil
}

// flushLocked writes the pending chunk, if any. r.mu held.
func (r *recorder) flushLocked() error {
	p := r.pending
	if p == nil {
		return nil
	}
	r.pending = nil
	ev := p.ev
	switch {
	case ev.Output != nil:
		o := *ev.Output
		o.Data = p.text.String()
		ev.Output = &o
	case ev.Message != nil:
		ev.Message = &Message{Text: p.text.String()}
	}
	return r.writeLocked(&ev)
}
