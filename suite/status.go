package suite

import (
	"sync"
	"time"

	"github.com/tether-dev/tether/session"
)

// CaseState is where a case is in its life.
type CaseState string

const (
	StateQueued    CaseState = "queued"    // waiting for a free slot
	StateCreating  CaseState = "creating"  // creating its sandbox (or backing off a rate limit)
	StateSetup     CaseState = "setup"     // cloning, uploading, running setup commands
	StateRunning   CaseState = "running"   // the agent is working
	StateChecking  CaseState = "checking"  // running the checks
	StateCleanup   CaseState = "cleanup"   // deleting (or keeping) its sandbox
	StatePassed    CaseState = "passed"    // every check passed
	StateFailed    CaseState = "failed"    // a check failed
	StateError     CaseState = "error"     // it could not be run: sandbox, setup or model trouble
	StateCancelled CaseState = "cancelled" // the suite was interrupted
)

// Done reports whether the case has ended.
func (s CaseState) Done() bool {
	switch s {
	case StatePassed, StateFailed, StateError, StateCancelled:
		return true
	}
	return false
}

// CaseStatus is a snapshot of one case, sent to RunOptions.OnUpdate at
// every change worth showing (state changes, each tool call, each LLM
// call), enough to draw a fleet view. Text fields are sanitised.
type CaseStatus struct {
	Index   int    // position in Cases() order
	Total   int    // number of cases in the run
	ID      string // e.g. "hello/loud[gpt-4o-mini]#2"
	Case    string
	Variant string
	Model   string
	Run     int

	State      CaseState
	Detail     string        // what is happening, or why it ended (one line)
	AgentState session.State // the session's state while the agent runs
	Steps      int           // tool calls so far
	LLMCalls   int
	CostUSD    float64
	CostKnown  bool // false: cost is unknown (not zero)
	Tokens     int  // prompt + completion so far
	LastAction string
	SandboxID  string

	Started time.Time     // zero while queued
	Elapsed time.Duration // since Started, at the time of the update

	// Result is set once State is Done.
	Result *CaseResult
}

// tracker owns one case's CaseStatus and reports its changes. OnUpdate is
// called with the lock held, so each case's updates arrive in order.
type tracker struct {
	mu sync.Mutex
	st CaseStatus
	on func(CaseStatus)
}

func (t *tracker) update(f func(*CaseStatus)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(&t.st)
	if !t.st.Started.IsZero() {
		t.st.Elapsed = time.Since(t.st.Started)
	}
	if t.on != nil {
		t.on(t.st)
	}
}

func (t *tracker) state(s CaseState, detail string) {
	t.update(func(st *CaseStatus) {
		st.State = s
		st.Detail = oneLine(detail, 200)
	})
}

func (t *tracker) snapshot() CaseStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// event folds one session event into the status. It reports only the
// events a fleet view shows; streamed text and output are ignored.
func (t *tracker) event(ev session.Event) {
	switch ev.Kind {
	case session.KindAction:
		if ev.Action == nil || ev.Action.Direct {
			return
		}
		a := ev.Action
		t.update(func(st *CaseStatus) {
			st.Steps++
			text := a.Summary
			if text == "" {
				text = a.Command
			}
			if text == "" {
				text = a.Tool
			}
			st.LastAction = oneLine(text, 120)
		})
	case session.KindUsage:
		if ev.Usage == nil {
			return
		}
		u := ev.Usage
		t.update(func(st *CaseStatus) {
			st.LLMCalls++
			st.CostUSD, st.CostKnown = u.TotalCostUSD, u.CostKnown
			st.Tokens = u.TotalPromptTokens + u.TotalCompletionTokens
		})
	case session.KindState:
		if ev.State == nil {
			return
		}
		to := ev.State.To
		t.update(func(st *CaseStatus) { st.AgentState = to })
	}
}
