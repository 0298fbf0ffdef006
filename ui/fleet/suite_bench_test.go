package fleet

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/ui/uitest"
)

// BenchmarkSuiteFeedEvent is one output chunk (1 KiB) of one of 200 cases
// through the feed and into its case's stream, the view taking a batch
// every 64 events.
func BenchmarkSuiteFeedEvent(b *testing.B) {
	const cases = 200
	feed := NewSuiteFeed()
	opts := suiteOptions()
	opts.SpillDir = b.TempDir()
	m := NewSuite(feed, opts)
	defer m.Close()
	ids := make([]string, cases)
	for i := range ids {
		ids[i] = fmt.Sprintf("case-%03d", i)
		feed.Update(suite.CaseStatus{Index: i, Total: cases, ID: ids[i], State: suite.StateRunning})
		feed.Event(ids[i], evAction("c1", "yes"))
	}
	m.s.onFeed(feed.take())
	ev := uitest.Output("c1", strings.Repeat("y", 1023)+"\n")
	b.SetBytes(int64(len(ev.Output.Data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		feed.Event(ids[n%cases], ev)
		n++
		if n%64 == 0 {
			m.s.onFeed(feed.take())
		}
	}
}

// BenchmarkSuiteViewFrame is one frame at 160×48 of a 200-case suite
// whose selected case has a 500-entry stream.
func BenchmarkSuiteViewFrame(b *testing.B) {
	const cases = 200
	feed := NewSuiteFeed()
	opts := suiteOptions()
	opts.SpillDir = b.TempDir()
	m := NewSuite(feed, opts)
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	for i := range cases {
		id := fmt.Sprintf("case-%03d", i)
		feed.Update(suite.CaseStatus{Index: i, Total: cases, ID: id, State: suite.StateRunning, Steps: 3, LastAction: "run make test"})
		for k := range 250 {
			call := fmt.Sprint("c", k)
			feed.Event(id, evAction(call, "make test"))
			feed.Event(id, session.Event{Kind: session.KindOutput, Output: &session.Output{ToolCallID: call, Stream: "stdout", Data: "ok\n"}})
			feed.Event(id, evObservation(call, 0, 0, "ok"))
		}
	}
	m.s.onFeed(feed.take())
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
