package llm

import (
	"context"
	"io"
	"sync"
	"time"
)

// watchedBody tells the watchdog about every read, so that silence, not
// length, is what times a stream out.
type watchedBody struct {
	rc io.ReadCloser
	wd *watchdog
}

func (b *watchedBody) Read(buf []byte) (int, error) {
	n, err := b.rc.Read(buf)
	if n > 0 {
		b.wd.touch()
	}
	return n, err
}

type phase int

const (
	phaseNone  phase = iota
	phaseFirst       // waiting for the reply to start
	phaseIdle        // the reply has started; silence is bounded
	phaseTotal       // the reply ran past its total duration limit
)

// watchdog cancels an attempt that goes quiet or runs too long. Until the
// reply starts it allows `first` in total (connect, queueing, prompt
// processing, silent reasoning); once deltas flow it allows `idle` between
// reads; and the whole attempt may not exceed `total`.
type watchdog struct {
	mu       sync.Mutex
	t        *time.Timer
	idle     time.Duration
	deadline time.Time // of the current phase
	end      time.Time // of the whole attempt
	phase    phase
	fired    phase
	stopped  bool
}

func startWatchdog(first, idle, total time.Duration, cancel context.CancelFunc) *watchdog {
	now := time.Now()
	w := &watchdog{idle: idle, deadline: now.Add(first), end: now.Add(total), phase: phaseFirst}
	w.t = time.AfterFunc(min(first, total), func() { w.wake(cancel) })
	return w
}

func (w *watchdog) wake(cancel context.CancelFunc) {
	w.mu.Lock()
	if w.stopped || w.fired != phaseNone {
		w.mu.Unlock()
		return
	}
	now := time.Now()
	switch {
	case !now.Before(w.end):
		w.fired = phaseTotal
	case !now.Before(w.deadline):
		w.fired = w.phase
	default:
		// touch only moves the deadline (cheap on the hot path), so an
		// early wake-up re-arms instead of firing.
		w.t.Reset(min(w.deadline.Sub(now), w.end.Sub(now)))
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	cancel()
}

// replyStarted switches to the idle phase.
func (w *watchdog) replyStarted() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phase == phaseIdle || w.fired != phaseNone || w.stopped {
		return
	}
	w.phase = phaseIdle
	w.deadline = time.Now().Add(w.idle)
	w.t.Reset(min(w.idle, time.Until(w.end)))
}

func (w *watchdog) touch() {
	w.mu.Lock()
	if w.phase == phaseIdle && w.fired == phaseNone {
		w.deadline = time.Now().Add(w.idle)
	}
	w.mu.Unlock()
}

// firedPhase reports in which phase the watchdog fired, phaseNone if not.
func (w *watchdog) firedPhase() phase {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	w.t.Stop()
	w.mu.Unlock()
}
