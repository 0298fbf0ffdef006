package sandbox

import (
	"io"
	"sync"
)

// ShellOutput is a byte queue between a transport and a Shell's Read.
// Providers write what arrives, close it when the shell ends, and serve
// Read from it. The zero value is ready to use and never makes a writer
// wait: the queue for a transport that must not wait (a WebSocket the
// daemon drops when its reader lags).
//
// With a Limit (a PTY, where a full buffer simply makes the program
// inside wait, as on any terminal), Write waits while the queue holds
// Limit bytes or more. Bytes then wait in the kernel's small buffer and
// in the program's blocked write instead of piling up here: in a flood
// faster than tether can show it, a line reaches the screen a few
// milliseconds after it was printed instead of after everything queued
// ahead of it, and memory stays bounded.
type ShellOutput struct {
	// Limit bounds the bytes queued before Write waits; 0: unbounded.
	// Set it before the first Write.
	Limit int

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte // queued bytes are buf[off:]
	off     int
	closed  bool
	nowait  bool // Unblock was called
	waiting int  // writers waiting for room
}

func (q *ShellOutput) init() {
	if q.cond == nil {
		q.cond = sync.NewCond(&q.mu)
	}
}

// Write appends p. Without a Limit it never blocks; with one it waits
// while the queue is full (a single write larger than Limit goes in
// whole once the queue is empty). Writing after CloseWrite drops p.
func (q *ShellOutput) Write(p []byte) (int, error) {
	q.mu.Lock()
	q.init()
	for q.Limit > 0 && q.queued() > 0 && q.queued()+len(p) > q.Limit && !q.closed && !q.nowait {
		q.waiting++
		q.cond.Wait()
		q.waiting--
	}
	if !q.closed {
		if q.off > 0 && q.off >= len(q.buf)/2 { // reuse the read part
			n := copy(q.buf, q.buf[q.off:])
			q.buf, q.off = q.buf[:n], 0
		}
		q.buf = append(q.buf, p...)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
	return len(p), nil
}

// Unblock makes Write stop waiting for room, now and from then on: for a
// transport that must drain what is left once nobody may read any more.
func (q *ShellOutput) Unblock() {
	q.mu.Lock()
	q.init()
	q.nowait = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// CloseWrite marks the end of the output: Read returns io.EOF once the
// queue is drained.
func (q *ShellOutput) CloseWrite() {
	q.mu.Lock()
	q.init()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *ShellOutput) queued() int { return len(q.buf) - q.off }

// Queued is how many bytes wait for Read.
func (q *ShellOutput) Queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued()
}

// Read waits for output and returns as much as fits in p.
func (q *ShellOutput) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.init()
	for q.queued() == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.queued() == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.buf[q.off:])
	q.off += n
	if q.off == len(q.buf) {
		// Unbounded, let a burst's backing array go; bounded, it is
		// small and the next write reuses it (no allocation per chunk).
		q.off = 0
		if q.Limit > 0 && cap(q.buf) <= 2*q.Limit {
			q.buf = q.buf[:0]
		} else {
			q.buf = nil
		}
	}
	if q.waiting > 0 {
		q.cond.Broadcast()
	}
	return n, nil
}
