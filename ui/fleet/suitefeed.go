package fleet

import (
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/suite"
)

// SuiteFeed carries a suite run's progress to the suite view. Pass Update
// as suite.RunOptions.OnUpdate and call Finish when suite.Run returns.
// Update never blocks the suite: updates wait in a queue until the view
// takes them, all at once. It is safe for concurrent use.
type SuiteFeed struct {
	mu       sync.Mutex
	pending  []suite.CaseStatus
	finished bool
	report   *suite.Report
	err      error
	notify   chan struct{} // holds one wake-up at most
}

// NewSuiteFeed returns an empty feed.
func NewSuiteFeed() *SuiteFeed { return &SuiteFeed{notify: make(chan struct{}, 1)} }

// Update queues one case's status; it has suite.RunOptions.OnUpdate's shape.
func (f *SuiteFeed) Update(st suite.CaseStatus) {
	f.mu.Lock()
	if !f.finished {
		f.pending = append(f.pending, st)
	}
	f.mu.Unlock()
	f.wake()
}

// Finish tells the view that suite.Run has returned, with what it returned.
func (f *SuiteFeed) Finish(rep *suite.Report, err error) {
	f.mu.Lock()
	f.finished, f.report, f.err = true, rep, err
	f.mu.Unlock()
	f.wake()
}

func (f *SuiteFeed) wake() {
	select {
	case f.notify <- struct{}{}:
	default:
	}
}

// suiteFeedMsg is everything queued since the last one.
type suiteFeedMsg struct {
	updates  []suite.CaseStatus
	finished bool
	report   *suite.Report
	err      error
}

// next waits (in a tea.Cmd) for something new and takes all of it.
func (f *SuiteFeed) next() tea.Cmd {
	return func() tea.Msg {
		<-f.notify
		f.mu.Lock()
		defer f.mu.Unlock()
		msg := suiteFeedMsg{updates: f.pending, finished: f.finished, report: f.report, err: f.err}
		f.pending = nil
		return msg
	}
}
