package suite

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tether-dev/tether/session"
)

// eventLog collects OnEvent calls, noting when two calls for one case
// overlap (they must not).
type eventLog struct {
	mu      sync.Mutex
	byCase  map[string][]session.Event
	busy    map[string]bool
	overlap []string
}

func (l *eventLog) add(id string, ev session.Event) {
	l.mu.Lock()
	if l.busy[id] {
		l.overlap = append(l.overlap, id)
	}
	l.busy[id] = true
	l.byCase[id] = append(l.byCase[id], ev)
	l.mu.Unlock()
	runtime.Gosched() // a window for an overlapping call to show itself
	l.mu.Lock()
	l.busy[id] = false
	l.mu.Unlock()
}

func TestRunOnEventDeliversEveryCasesEventsInOrder(t *testing.T) {
	const toml = `
[defaults.sandbox]
provider = "local"
[[case]]
name = "one"
prompt = "seq 1 200"
[[case]]
name = "two"
prompt = "echo two-says-hi"
[[case]]
name = "three"
prompt = "echo three; exit 3"
[[case]]
name = "no-agent"
prompt = "true"
[case.setup]
commands = ["exit 9"]
`
	s, err := Load(writeSuite(t, toml, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	log := &eventLog{byCase: map[string][]session.Event{}, busy: map[string]bool{}}
	rep, err := Run(context.Background(), s, RunOptions{Concurrency: 4, Providers: providers(newLocalProvider(t)),
		Models: models, DefaultModel: "m", OnEvent: log.add})
	if err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.overlap) > 0 {
		t.Errorf("OnEvent ran twice at once for %v", log.overlap)
	}
	for _, c := range rep.Cases {
		evs := log.byCase[c.ID]
		if c.Case == "no-agent" {
			if len(evs) != 0 {
				t.Errorf("%s: %d events although its setup failed before the agent", c.ID, len(evs))
			}
			continue
		}
		if len(evs) == 0 {
			t.Errorf("%s: no events", c.ID)
			continue
		}
		for i, ev := range evs {
			if ev.Seq != int64(i+1) {
				t.Fatalf("%s: event %d has Seq %d; want 1, 2, 3… without gaps", c.ID, i, ev.Seq)
			}
		}
		var kinds []session.Kind
		var out strings.Builder
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
			if ev.Output != nil {
				out.WriteString(ev.Output.Data)
			}
		}
		for _, k := range []session.Kind{session.KindUserMessage, session.KindAction, session.KindObservation, session.KindState} {
			if !slices.Contains(kinds, k) {
				t.Errorf("%s: no %s event in %v", c.ID, k, kinds)
			}
		}
		if last := evs[len(evs)-1]; last.Kind != session.KindState || !last.State.To.Terminal() {
			t.Errorf("%s: last event %s, want the terminal state", c.ID, last.Kind)
		}
		want := map[string]string{"one": "200\n", "two": "two-says-hi", "three": "three"}[c.Case]
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: output %q lacks %q", c.ID, out.String(), want)
		}
	}
	if len(log.byCase) != 3 {
		t.Errorf("events for %d cases, want 3", len(log.byCase))
	}
}
