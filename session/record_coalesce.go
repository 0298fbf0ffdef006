package session

import (
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
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

// pendingChunk is the stream text not yet written. A chunk alone keeps
// its own text (a flood's 64 KiB chunks go one to a line, never copied);
// once a second joins it, the text is in the recorder's joined buffer,
// reused from line to line.
type pendingChunk struct {
	ev     Event  // the first chunk
	text   string // its text, while it is alone
	joined bool   // the text is in recorder.joined
}

// chunk records a chunk event, joined to the pending one of its stream.
// r.mu held.
func (r *recorder) chunk(ev *Event, data string) error {
	if p := &r.pending; r.hasPending && p.ev.Seq == ev.Seq && sameStream(&p.ev, ev) &&
		ev.Time.Sub(p.ev.Time) < coalesceWindow && r.pendingLen()+len(data) <= coalesceBytes {
		if !p.joined {
			r.joined = append(r.joined[:0], p.text...)
			p.text, p.joined = "", true
		}
		r.joined = append(r.joined, data...)
		return nil
	}
	if err := r.flushLocked(); err != nil {
		return err
	}
	r.pending, r.hasPending = pendingChunk{ev: *ev, text: data}, true
	return nil
}

func (r *recorder) pendingLen() int {
	if r.pending.joined {
		return len(r.joined)
	}
	return len(r.pending.text)
}

// flushLocked writes the pending chunk, if any. r.mu held.
func (r *recorder) flushLocked() error {
	if !r.hasPending {
		return nil
	}
	p := r.pending
	r.pending, r.hasPending = pendingChunk{}, false
	if r.err != nil || r.f == nil {
		return nil
	}
	line, ok := appendChunkHead(r.line[:0], &p.ev)
	if !ok {
		// A chunk event carrying more than this encoder knows: as any event.
		ev, text := p.ev, p.text
		if p.joined {
			text = string(r.joined)
		}
		switch {
		case ev.Output != nil:
			o := *ev.Output
			o.Data = text
			ev.Output = &o
		case ev.Message != nil:
			ev.Message = &Message{Text: text}
		}
		return r.writeLocked(&ev)
	}
	if p.joined {
		line = jsonsafe.AppendBytes(line, r.joined)
	} else {
		line = jsonsafe.AppendString(line, p.text)
	}
	line = append(line, "}}\n"...)
	err := r.writeLine(line)
	r.line = line[:0]
	if cap(line) > 1<<20 {
		r.line = nil // don't keep a huge line's buffer forever
	}
	return err
}
