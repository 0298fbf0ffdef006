package fleet

import (
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/suite"
)

// SuiteFeed carries a suite run's progress and its cases' session events
// to the suite view. Pass Update as suite.RunOptions.OnUpdate, Event as
// suite.RunOptions.OnEvent (only when a view will read it: the events cost
// memory until it does), and call Finish when suite.Run returns.
//
// Update and Event never block the suite: everything waits in queues until
// the view takes it, all at once, at most about 30 times a second. Status
// updates and every event but streamed text queue without bound (they are
// small and come one per step). Streamed text is bounded per case: once a
// case has maxQueuedText bytes of tool output and assistant deltas waiting
// (the view has fallen behind), further output chunks are dropped until
// the view catches up, leaving in the tool's output a note of how much was
// skipped, and deltas are dropped silently (the complete assistant
// message follows them). So a stalled view holds at most about
// maxQueuedText per case (200 cases: 25 MiB) plus the small events. A
// flood (seq 1 300000) skips its middle even with a view keeping up; the
// recording, when there is one, always has everything, and the tool's
// result says where its full output is.
//
// It is safe for concurrent use.
type SuiteFeed struct {
	mu       sync.Mutex
	pending  []suite.CaseStatus
	events   map[string]*caseQueue // by case ID
	order    []string              // case IDs in events, by first event, for a stable drain
	finished bool
	report   *suite.Report
	err      error
	notify   chan struct{} // holds one wake-up at most
	last     time.Time     // when the view last took the queues
}

// maxQueuedText is how much tool output and assistant text one case may
// have waiting for the view before chunks are dropped.
const maxQueuedText = 128 << 10

// feedEvery is the shortest time between two batches to the view: events
// arrive by the thousand a second from many cases, a screen needs far
// fewer updates.
const feedEvery = 33 * time.Millisecond

// caseQueue is one case's events waiting for the view.
type caseQueue struct {
	evs   []session.Event
	text  int            // bytes of output and delta data in evs
	drops map[string]int // tool call ID → index in evs of its "left out" note
	lost  map[string]int // tool call ID → bytes left out since the note
}

// NewSuiteFeed returns an empty feed.
func NewSuiteFeed() *SuiteFeed {
	return &SuiteFeed{notify: make(chan struct{}, 1), events: map[string]*caseQueue{}}
}

// Update queues one case's status; it has suite.RunOptions.OnUpdate's shape.
func (f *SuiteFeed) Update(st suite.CaseStatus) {
	f.mu.Lock()
	if !f.finished {
		f.pending = append(f.pending, st)
	}
	f.mu.Unlock()
	f.wake()
}

// Event queues one event of a case's session; it has
// suite.RunOptions.OnEvent's shape. It never blocks (see SuiteFeed).
func (f *SuiteFeed) Event(caseID string, ev session.Event) {
	f.mu.Lock()
	if f.finished {
		f.mu.Unlock()
		return
	}
	q := f.events[caseID]
	if q == nil {
		q = &caseQueue{}
		f.events[caseID] = q
		f.order = append(f.order, caseID)
	}
	q.add(ev)
	f.mu.Unlock()
	f.wake()
}

func (q *caseQueue) add(ev session.Event) {
	n := 0
	switch {
	case ev.Kind == session.KindOutput && ev.Output != nil:
		n = len(ev.Output.Data)
	case ev.Kind == session.KindAssistantDelta && ev.Message != nil:
		n = len(ev.Message.Text)
	}
	if n > 0 && q.text+n > maxQueuedText {
		if ev.Kind == session.KindOutput {
			q.drop(ev)
		}
		return
	}
	q.text += n
	q.evs = append(q.evs, ev)
}

// drop leaves an output chunk out, counting it in its tool call's note
// (made where the first dropped chunk would have been).
func (q *caseQueue) drop(ev session.Event) {
	id := ev.Output.ToolCallID
	if q.drops == nil {
		q.drops, q.lost = map[string]int{}, map[string]int{}
	}
	if _, ok := q.drops[id]; !ok {
		q.drops[id] = len(q.evs)
		note := ev
		note.Output = &session.Output{ToolCallID: id, Stream: "stderr"}
		q.evs = append(q.evs, note)
	}
	q.lost[id] += len(ev.Output.Data)
}

// take hands the queued events over, with each note's text written now
// that its count is final.
func (q *caseQueue) take() []session.Event {
	for id, i := range q.drops {
		q.evs[i].Output.Data = fmt.Sprintf("\n[tether: %s of output skipped in this view: it came faster than the view takes it in]\n",
			fmtBytes(q.lost[id]))
	}
	evs := q.evs
	*q = caseQueue{}
	return evs
}

func fmtBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
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
	events   []caseEvents
	finished bool
	report   *suite.Report
	err      error
}

// caseEvents is one case's new events, in order.
type caseEvents struct {
	id  string
	evs []session.Event
}

// next waits (in a tea.Cmd) for something new and takes all of it.
func (f *SuiteFeed) next() tea.Cmd {
	return func() tea.Msg {
		<-f.notify
		f.mu.Lock()
		wait := feedEvery - time.Since(f.last)
		f.mu.Unlock()
		if wait > 0 {
			// Let a burst gather into one batch.
			time.Sleep(wait)
		}
		msg := f.take()
		// What arrived while sleeping is in this batch: drop its wake-up.
		select {
		case <-f.notify:
		default:
		}
		return msg
	}
}

// take empties the queues into one message.
func (f *SuiteFeed) take() suiteFeedMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = time.Now()
	msg := suiteFeedMsg{updates: f.pending, finished: f.finished, report: f.report, err: f.err}
	f.pending = nil
	for _, id := range f.order {
		if evs := f.events[id].take(); len(evs) > 0 {
			msg.events = append(msg.events, caseEvents{id: id, evs: evs})
		}
	}
	f.order = f.order[:0]
	clear(f.events)
	return msg
}
