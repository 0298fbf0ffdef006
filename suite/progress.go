package suite

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Progress is a live view of a suite run for a terminal. Feed it with
// Update (pass p.Update as RunOptions.OnUpdate) and Close it when Run
// returns. On a TTY it redraws, at most 10 times a second, one line per
// running case (state, steps, cost, elapsed, last action) under the lines
// of the cases already finished, and a summary line. Not on a TTY it
// writes one line per finished case and nothing else, which suits CI logs.
// It is safe for concurrent use.
type Progress struct {
	w     io.Writer
	tty   bool
	start time.Time

	mu       sync.Mutex
	width    int
	maxLive  int
	running  map[int]CaseStatus
	finished []string // lines not yet printed (TTY)
	total    int
	counts   map[CaseState]int
	cost     float64
	calls    int  // LLM calls of finished cases
	unknown  bool // some finished case's cost is unknown
	drawn    int  // live lines on screen now
	dirty    bool
	closed   bool

	stop chan struct{}
	done chan struct{}
}

// redrawEvery bounds redraws to 10 a second.
const redrawEvery = 100 * time.Millisecond

// NewProgress returns a renderer writing to w; tty selects the live view.
func NewProgress(w io.Writer, tty bool) *Progress {
	p := &Progress{w: w, tty: tty, start: time.Now(), width: 100, maxLive: 12,
		running: map[int]CaseStatus{}, counts: map[CaseState]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if tty {
		go p.loop()
	} else {
		close(p.done)
	}
	return p
}

// SetWidth sets the terminal width lines are cut to (default 100), so no
// line wraps and the redraw stays in place.
func (p *Progress) SetWidth(cols int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cols >= 20 {
		p.width = cols
	}
}

// Update records a case's status; it is RunOptions.OnUpdate's shape.
func (p *Progress) Update(st CaseStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.total = st.Total
	if !st.State.Done() {
		if st.State != StateQueued {
			p.running[st.Index] = st
			p.dirty = true
		}
		return
	}
	delete(p.running, st.Index)
	p.counts[st.State]++
	if r := st.Result; r != nil {
		p.cost += r.CostUSD
		p.calls += r.LLMCalls
		p.unknown = p.unknown || (r.LLMCalls > 0 && !r.CostKnown)
	}
	line := p.finishedLine(st)
	if p.tty {
		p.finished = append(p.finished, line)
		p.dirty = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// Close stops the live view, leaving the finished lines and a final
// summary line on screen. Safe to call twice.
func (p *Progress) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return
	}
	p.closed = true
	p.mu.Unlock()
	if p.tty {
		close(p.stop)
		<-p.done
		p.mu.Lock()
		p.running = map[int]CaseStatus{}
		frame := p.frameLocked()
		p.mu.Unlock()
		io.WriteString(p.w, frame)
	}
}

func (p *Progress) loop() {
	defer close(p.done)
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			// The elapsed times move even when nothing else does.
			frame := ""
			if p.dirty || len(p.running) > 0 {
				frame = p.frameLocked()
			}
			p.mu.Unlock()
			// Written outside the lock: a slow terminal must not hold up
			// the cases calling Update. Only this goroutine writes frames.
			io.WriteString(p.w, frame)
		}
	}
}

// frameLocked renders the next frame, which replaces the live block:
// cursor up over it, clear to the end of the screen, the new finished
// lines, then the live lines again.
func (p *Progress) frameLocked() string {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", p.drawn)
	}
	for _, l := range p.finished {
		b.WriteString(p.cut(l))
		b.WriteByte('\n')
	}
	p.finished = p.finished[:0]
	idx := make([]int, 0, len(p.running))
	for i := range p.running {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	lines := 0
	for n, i := range idx {
		if n == p.maxLive {
			fmt.Fprintf(&b, "  … and %d more running\n", len(idx)-n)
			lines++
			break
		}
		b.WriteString(p.cut(runningLine(p.running[i])))
		b.WriteByte('\n')
		lines++
	}
	b.WriteString(p.cut(p.summaryLocked()))
	b.WriteByte('\n')
	p.drawn = lines + 1
	p.dirty = false
	return b.String()
}

func (p *Progress) summaryLocked() string {
	done := p.counts[StatePassed] + p.counts[StateFailed] + p.counts[StateError] + p.counts[StateCancelled]
	s := fmt.Sprintf("[%d/%d] %d passed, %d failed, %d errors", done, p.total,
		p.counts[StatePassed], p.counts[StateFailed], p.counts[StateError])
	if n := p.counts[StateCancelled]; n > 0 {
		s += fmt.Sprintf(", %d cancelled", n)
	}
	return s + fmt.Sprintf(" · %d running · cost %s · %s", len(p.running), formatCost(p.cost, !p.unknown, p.calls),
		formatDuration(time.Since(p.start)))
}

func runningLine(st CaseStatus) string {
	state := string(st.State)
	if st.State == StateRunning && st.AgentState != "" {
		state = string(st.AgentState)
	}
	cost := "-"
	if st.LLMCalls > 0 {
		cost = formatCost(st.CostUSD, st.CostKnown, st.LLMCalls)
	}
	what := st.LastAction
	if st.State != StateRunning || what == "" {
		what = st.Detail
	}
	return fmt.Sprintf("  %-12s %-24s  step %-3d %-9s %-6s  %s", state, oneLine(st.ID, 50), st.Steps, cost,
		formatDuration(time.Since(st.Started)), oneLine(what, 80))
}

func (p *Progress) finishedLine(st CaseStatus) string {
	mark := map[CaseState]string{StatePassed: "PASS", StateFailed: "FAIL", StateError: "ERR ", StateCancelled: "SKIP"}[st.State]
	s := fmt.Sprintf("%s %-24s", mark, oneLine(st.ID, 60))
	if r := st.Result; r != nil {
		passed := 0
		for _, c := range r.Checks {
			if c.Passed {
				passed++
			}
		}
		s += fmt.Sprintf("  checks %d/%d  steps %d  %s  %s", passed, len(r.Checks), r.Steps,
			formatCost(r.CostUSD, r.CostKnown, r.LLMCalls), formatDuration(r.Duration))
		if st.State != StatePassed && r.Reason != "" {
			s += "  " + oneLine(r.Reason, 120)
		}
	}
	return s
}

// cut keeps a line within the terminal width (runes, not bytes), so it
// never wraps and the cursor arithmetic stays right.
func (p *Progress) cut(s string) string {
	if utf8.RuneCountInString(s) <= p.width {
		return s
	}
	return string([]rune(s)[:p.width-1]) + "…"
}
