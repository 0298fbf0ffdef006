package session

import "fmt"

// Stuck-detection thresholds, after OpenHands' StuckDetector.
const (
	stuckRepeat      = 4 // same action and same observation
	stuckErrorRepeat = 3 // same action, each time an error
	stuckAlternate   = 3 // A,B pattern repeated this many times (6 steps)
	stuckEmpty       = 3 // replies with neither text nor tool calls, in a row
)

// step is one action and what it led to.
type step struct {
	action string
	obs    string
	err    bool
}

// stuckDetector watches one run for loops that would otherwise burn
// iterations and money without progress.
type stuckDetector struct {
	steps  []step
	silent int
}

func newStuckDetector() *stuckDetector { return &stuckDetector{} }

// empty records a reply with no text and no tool calls (a silent
// monologue) and reports when there have been too many in a row.
func (d *stuckDetector) empty() string {
	d.silent++
	if d.silent >= stuckEmpty {
		return fmt.Sprintf("stuck: the model replied %d times in a row without text or tool calls", d.silent)
	}
	return ""
}

// acted resets the monologue count: the model did something.
func (d *stuckDetector) acted() { d.silent = 0 }

// observe records a finished action and reports a loop, if there is one.
func (d *stuckDetector) observe(action string, obs Observation) string {
	d.steps = append(d.steps, step{action: action, obs: obs.Content, err: obs.IsError})
	if len(d.steps) > 20 {
		d.steps = d.steps[len(d.steps)-20:]
	}
	n := len(d.steps)
	last := d.steps[n-1]
	if n >= stuckErrorRepeat && last.err {
		same := true
		for _, s := range d.steps[n-stuckErrorRepeat:] {
			same = same && s.err && s.action == last.action
		}
		if same {
			return fmt.Sprintf("stuck: the same action failed %d times in a row", stuckErrorRepeat)
		}
	}
	if n >= stuckRepeat {
		same := true
		for _, s := range d.steps[n-stuckRepeat:] {
			same = same && s == last
		}
		if same {
			return fmt.Sprintf("stuck: the same action gave the same result %d times in a row", stuckRepeat)
		}
	}
	if k := 2 * stuckAlternate; n >= k {
		a, b := d.steps[n-2], d.steps[n-1]
		alt := a != b
		for i, s := range d.steps[n-k:] {
			want := a
			if i%2 == 1 {
				want = b
			}
			alt = alt && s == want
		}
		if alt {
			return fmt.Sprintf("stuck: the agent alternated between the same two actions %d times", stuckAlternate)
		}
	}
	return ""
}
