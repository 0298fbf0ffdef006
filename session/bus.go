package session

import (
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// defaultLiveBufferBytes bounds how much undelivered output and assistant
// text the live event queue may hold while the reader lags. Beyond it the
// data is elided from the live view (never from the recording) so a 100 MB
// flood with a slow reader does not hold 100 MB in memory.
const defaultLiveBufferBytes = 1 << 20

// drainIdle is how long Close waits for the reader to take the next event
// before it gives up delivering the rest (they are in the recording).
const drainIdle = 500 * time.Millisecond

// queued is one event waiting for delivery. Output and assistant-delta
// events keep their text in buf so that chunks arriving while the reader
// lags are appended in place (amortised) rather than queued one by one.
type queued struct {
	ev     Event
	buf    []byte
	elided int64
}

// bus publishes events: it stamps them (ID, Seq, Time), redacts secrets,
// writes them to the recording, and queues them for the single subscriber.
// Publishing never waits for the subscriber: the queue is unbounded for the
// events that matter and bounded (by coalescing, then eliding) for output.
type bus struct {
	mu        sync.Mutex
	seq       int64
	queue     []*queued
	head      int
	liveBytes int64 // text bytes held in queued output/delta events
	maxLive   int64
	closed    bool
	delivered int64
	rec       *recorder
	redact    *redactor
	logger    *slog.Logger

	notify chan struct{} // wakes the delivery goroutine
	abort  chan struct{} // stops delivery at once
	done   chan struct{} // delivery goroutine has exited
	out    chan Event

	subscribeOnce sync.Once
	subscribed    chan struct{}
}

func newBus(rec *recorder, red *redactor, maxLive int64, logger *slog.Logger) *bus {
	maxLive = orDefault(maxLive, defaultLiveBufferBytes)
	b := &bus{
		maxLive:    maxLive,
		rec:        rec,
		redact:     red,
		logger:     logger,
		notify:     make(chan struct{}, 1),
		abort:      make(chan struct{}),
		done:       make(chan struct{}),
		out:        make(chan Event),
		subscribed: make(chan struct{}),
	}
	go b.deliver()
	return b
}

// events returns the subscriber's channel and marks that someone reads it.
func (b *bus) events() <-chan Event {
	b.subscribeOnce.Do(func() { close(b.subscribed) })
	return b.out
}

// count is the number of events published so far.
func (b *bus) count() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}

// chunkText returns the text of an output or assistant-delta event, the
// kinds whose text may be merged with their neighbours in the live view.
func chunkText(ev *Event) (string, bool) {
	switch {
	case ev.Kind == KindOutput && ev.Output != nil:
		return ev.Output.Data, true
	case ev.Kind == KindAssistantDelta && ev.Message != nil:
		return ev.Message.Text, true
	}
	return "", false
}

// sameStream reports whether two chunk events belong to one stream: the
// same tool call and stream, or both assistant text.
func sameStream(a, b *Event) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == KindOutput {
		return a.Output != nil && b.Output != nil &&
			a.Output.ToolCallID == b.Output.ToolCallID && a.Output.Stream == b.Output.Stream
	}
	return a.Kind == KindAssistantDelta
}

// publish stamps ev, records it and queues it for delivery. It returns the
// stamped event. After close it only returns ev unchanged.
func (b *bus) publish(ev Event) Event {
	b.redact.event(&ev)
	now := time.Now()
	if ev.Time.IsZero() {
		ev.Time = now
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ev
	}
	data, isChunk := chunkText(&ev)
	if isChunk {
		if q := b.mergeTarget(&ev, len(data)); q != nil {
			// Same stream still undelivered: the recording keeps this
			// chunk as its own line under that event's Seq (ReadRecording
			// joins them); the live view merges it.
			ev.ID, ev.Seq = q.ev.ID, q.ev.Seq
			recErr := b.rec.event(&ev)
			b.appendLive(q, data)
			b.recordingStopped(recErr, ev.Time)
			return ev
		}
	}
	b.seq++
	ev.Seq = b.seq
	ev.ID = "e" + strconv.FormatInt(b.seq, 10)
	recErr := b.rec.event(&ev)
	defer b.recordingStopped(recErr, ev.Time) // after ev in the live view
	q := &queued{ev: ev}
	if isChunk {
		// Own the payload: later chunks are merged into it.
		switch ev.Kind {
		case KindOutput:
			o := *ev.Output
			o.Data = ""
			q.ev.Output = &o
		case KindAssistantDelta:
			q.ev.Message = &Message{}
		}
		b.appendLive(q, data)
	}
	b.queue = append(b.queue, q)
	select {
	case b.notify <- struct{}{}:
	default:
	}
	return ev
}

// recordingStopped tells the subscriber, once, that the recording failed
// (a full disk): the session goes on unrecorded. The notice itself cannot
// be recorded. b.mu held.
func (b *bus) recordingStopped(err error, at time.Time) {
	if err == nil {
		return
	}
	b.seq++
	ev := Event{Kind: KindError, Seq: b.seq, ID: "e" + strconv.FormatInt(b.seq, 10), Time: at,
		Error: &ErrorInfo{Message: b.redact.text(RecordingStoppedNotice(err.Error()))}}
	b.queue = append(b.queue, &queued{ev: ev})
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// RecordingStoppedNotice is what the session says when its recording
// cannot be written: why, and that the session goes on.
func RecordingStoppedNotice(why string) string {
	return "recording stopped: " + why + "; the session goes on unrecorded (free some disk space, or set [session] record_dir)"
}

// mergeLookBack is how far back an over-the-cap chunk looks for an
// undelivered event of its stream, so that interleaved streams (stdout and
// stderr) flooding a stalled reader do not queue one event per chunk.
const mergeLookBack = 8

// mergeTarget returns the undelivered event a chunk of this stream should
// be merged into, or nil. Under the cap only the last event qualifies, so
// the live view keeps the order of everything; over it the chunk's data is
// elided anyway and only its byte count moves.
func (b *bus) mergeTarget(ev *Event, n int) *queued {
	over := b.liveBytes+int64(n) > b.maxLive
	for i := len(b.queue) - 1; i >= b.head && i >= len(b.queue)-mergeLookBack; i-- {
		q := b.queue[i]
		if sameStream(&q.ev, ev) {
			return q
		}
		if !over {
			return nil
		}
	}
	return nil
}

func (b *bus) appendLive(q *queued, data string) {
	if b.liveBytes+int64(len(data)) > b.maxLive {
		q.elided += int64(len(data))
		return
	}
	if need := len(q.buf) + len(data); need > cap(q.buf) {
		// Doubling: append grows large slices by ~1.25x, which copied
		// a lagging reader's merged flood ~4 times over.
		nb := make([]byte, len(q.buf), max(need, 2*cap(q.buf), 256))
		copy(nb, q.buf)
		q.buf = nb
	}
	q.buf = append(q.buf, data...)
	b.liveBytes += int64(len(data))
}

// take removes the head of the queue and finishes its payload.
func (b *bus) take() Event {
	q := b.queue[b.head]
	b.queue[b.head] = nil
	b.head++
	if b.head == len(b.queue) {
		b.queue, b.head = b.queue[:0], 0
	} else if b.head > 1024 && b.head*2 > len(b.queue) {
		n := copy(b.queue, b.queue[b.head:])
		clear(b.queue[n:])
		b.queue, b.head = b.queue[:n], 0
	}
	ev := q.ev
	if _, ok := chunkText(&ev); ok {
		b.liveBytes -= int64(len(q.buf))
		// q is dropped here and its buf never written again: the text
		// can be the buffer itself instead of a copy of it (a 100 MB
		// flood copied 100 MB more for nothing).
		text := ""
		if len(q.buf) > 0 {
			text = unsafe.String(&q.buf[0], len(q.buf))
		}
		q.buf = nil
		if q.elided > 0 {
			text += "\n[... " + strconv.FormatInt(q.elided, 10) +
				" bytes elided from live view; full output in recording/observation]\n"
		}
		if ev.Kind == KindOutput {
			ev.Output.Data = text
		} else {
			ev.Message.Text = text
		}
	}
	return ev
}

func (b *bus) deliver() {
	defer close(b.done)
	defer close(b.out)
	for {
		b.mu.Lock()
		for b.head == len(b.queue) {
			if b.closed {
				b.mu.Unlock()
				return
			}
			b.mu.Unlock()
			select {
			case <-b.notify:
			case <-b.abort:
				return
			}
			b.mu.Lock()
		}
		ev := b.take()
		b.mu.Unlock()
		select {
		case b.out <- ev:
			b.mu.Lock()
			b.delivered++
			b.mu.Unlock()
		case <-b.abort:
			return
		}
	}
}

// close stops publication, lets a reader that is still reading take the
// remaining events, then closes the channel. A reader that never
// subscribed, or stops taking events, does not hold Close up.
func (b *bus) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		<-b.done
		return
	}
	b.closed = true
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
	select {
	case <-b.subscribed:
	default:
		close(b.abort)
		<-b.done
		return
	}
	b.mu.Lock()
	last := b.delivered
	b.mu.Unlock()
	t := time.NewTimer(drainIdle)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
			b.mu.Lock()
			d := b.delivered
			b.mu.Unlock()
			if d == last {
				close(b.abort)
				<-b.done
				b.mu.Lock()
				left := len(b.queue) - b.head
				b.mu.Unlock()
				if left > 0 && b.logger != nil {
					b.logger.Warn("events not delivered: the reader stopped reading before Close (they are in the recording, if any)", "count", left)
				}
				return
			}
			last = d
			t.Reset(drainIdle)
		}
	}
}
