package sandbox

import (
	"io"
	"sync"
)

// ShellOutput is an unbounded byte queue between a transport that must
// never wait (a PTY, a WebSocket the daemon drops when its reader lags) and
// a Shell's Read. Providers write what arrives, close it when the shell
// ends, and serve Read from it. The zero value is ready to use.
type ShellOutput struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
}

func (q *ShellOutput) init() {
	if q.cond == nil {
		q.cond = sync.NewCond(&q.mu)
	}
}

// Write appends p; it never blocks. Writing after CloseWrite drops p.
func (q *ShellOutput) Write(p []byte) (int, error) {
	q.mu.Lock()
	q.init()
	if !q.closed {
		q.buf = append(q.buf, p...)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
	return len(p), nil
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

// Read waits for output and returns as much as fits in p.
func (q *ShellOutput) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.init()
	for len(q.buf) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.buf)
	q.buf = q.buf[n:]
	if len(q.buf) == 0 {
		q.buf = nil // let a burst's backing array go
	}
	return n, nil
}
