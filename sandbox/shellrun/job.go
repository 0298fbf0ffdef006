package shellrun

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// job is one command typed into the shell: its output goes to the
// caller's writer while one is attached, else it is kept (bounded) for
// the next Input call.
type job struct {
	seq   int
	conn  *conn
	start time.Time
	gaps  uint64 // the shell's Gaps when the job started or was last checked
	lost  bool

	mu      sync.Mutex
	w       io.Writer
	pending []byte
	dropped int
	intr    bool // Ctrl+C sent: drop the newline bash answers it with

	once      sync.Once
	done      chan struct{}
	code      int
	restarted bool
}

// interrupting notes that Ctrl+C is being sent: the newline bash prints
// for a job killed by SIGINT is not the command's output.
func (j *job) interrupting() {
	j.mu.Lock()
	j.intr = true
	j.mu.Unlock()
}

func (j *job) write(b []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.intr {
		j.intr = false
		if b[0] == '\n' {
			b = b[1:]
		}
		if len(b) == 0 {
			return
		}
	}
	if j.w != nil {
		_, _ = j.w.Write(b)
		return
	}
	if len(j.pending)+len(b) > maxPending {
		j.dropped += len(b)
		return
	}
	j.pending = append(j.pending, b...)
}

func (j *job) attach(w io.Writer) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.pending) > 0 && w != nil {
		_, _ = w.Write(j.pending)
	}
	if j.dropped > 0 && w != nil {
		fmt.Fprintf(w, "\n[tether: %d bytes of output were dropped while no one was reading]\n", j.dropped)
	}
	j.pending, j.dropped = nil, 0
	j.w = w
}

func (j *job) detach() {
	j.mu.Lock()
	j.w = nil
	j.mu.Unlock()
}

func (j *job) finish(code int, restarted bool) {
	j.once.Do(func() {
		j.code, j.restarted = code, restarted
		close(j.done)
	})
}

func (j *job) finished() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}
