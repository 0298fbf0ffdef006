package llm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// go-openai hides response headers from errors and gives no hook on the
// body, so a thin HTTPDoer observes each attempt through a probe carried
// in the request context: Retry-After headers, bytes arriving (for the
// idle watchdog) and whether the SSE terminator "data: [DONE]" was seen.

type probeKey struct{}

// probe belongs to one attempt; it is written and read on the attempt's
// goroutine (go-openai calls Do and reads the body synchronously), except
// the watchdog, which locks.
type probe struct {
	header http.Header
	wd     *watchdog
	done   doneScanner
}

type probingDoer struct{ hc *http.Client }

func (d probingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.hc.Do(req)
	p, _ := req.Context().Value(probeKey{}).(*probe)
	if p == nil || resp == nil {
		return resp, err
	}
	p.header = resp.Header
	resp.Body = &watchedBody{rc: resp.Body, p: p}
	return resp, err
}

type watchedBody struct {
	rc io.ReadCloser
	p  *probe
}

func (b *watchedBody) Read(buf []byte) (int, error) {
	n, err := b.rc.Read(buf)
	if n > 0 {
		b.p.wd.touch()
		b.p.done.feed(buf[:n])
	}
	return n, err
}

func (b *watchedBody) Close() error { return b.rc.Close() }

// doneScanner spots a "data: [DONE]" line in the raw SSE bytes. go-openai
// reports io.EOF both for [DONE] and for a body that simply ended, and only
// the former proves the reply is complete.
type doneScanner struct {
	line [16]byte // start of the current line; [DONE] lines are short
	n    int
	long bool // the current line is too long to be a [DONE] line
	seen bool
}

func (s *doneScanner) feed(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if !s.long {
			c := copy(s.line[s.n:], seg)
			s.n += c
			s.long = c < len(seg)
		}
		if i < 0 {
			return
		}
		if !s.long && isDoneLine(s.line[:s.n]) {
			s.seen = true
		}
		s.n, s.long = 0, false
		p = p[i+1:]
	}
}

func isDoneLine(b []byte) bool {
	b, ok := bytes.CutPrefix(bytes.TrimSpace(b), []byte("data:"))
	return ok && string(bytes.TrimSpace(b)) == "[DONE]"
}

// watchdog cancels an attempt that goes quiet. Until the reply starts it
// allows `first` in total (connect, queueing, prompt processing, silent
// reasoning); once deltas flow it allows `idle` between reads.
type watchdog struct {
	mu       sync.Mutex
	t        *time.Timer
	idle     time.Duration
	deadline time.Time
	inIdle   bool
	fired    bool
	stopped  bool
}

func startWatchdog(first, idle time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{idle: idle, deadline: time.Now().Add(first)}
	w.t = time.AfterFunc(first, func() {
		w.mu.Lock()
		if w.stopped || w.fired {
			w.mu.Unlock()
			return
		}
		// touch only moves the deadline (cheap on the hot path), so an
		// early wake-up re-arms instead of firing.
		if left := time.Until(w.deadline); left > 0 {
			w.t.Reset(left)
			w.mu.Unlock()
			return
		}
		w.fired = true
		w.mu.Unlock()
		cancel()
	})
	return w
}

// replyStarted switches to the idle phase.
func (w *watchdog) replyStarted() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inIdle || w.fired || w.stopped {
		return
	}
	w.inIdle = true
	w.deadline = time.Now().Add(w.idle)
	w.t.Reset(w.idle)
}

func (w *watchdog) touch() {
	w.mu.Lock()
	if w.inIdle && !w.fired {
		w.deadline = time.Now().Add(w.idle)
	}
	w.mu.Unlock()
}

// state reports whether the watchdog fired, and in which phase.
func (w *watchdog) state() (fired, idle bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired, w.inIdle
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	w.t.Stop()
	w.mu.Unlock()
}
