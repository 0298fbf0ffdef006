package fleet

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/ui/uitest"
)

// A case's events are kept while another case is selected, and shown
// once it is.
func TestSuiteEventsOfUnselectedCaseShownWhenSelected(t *testing.T) {
	feed := NewSuiteFeed()
	opts := suiteOptions()
	opts.SpillDir = t.TempDir()
	m := NewSuite(feed, opts)
	defer m.Close()
	s := m.s
	s.w, s.h = 160, 40
	for i, id := range []string{"first", "second"} {
		feed.Update(suite.CaseStatus{Index: i, Total: 2, ID: id, State: suite.StateRunning})
	}
	feed.Event("second", uitest.User("only the second case says this"))
	feed.Event("second", evAction("x1", "echo marker-of-second"))
	feed.Event("second", uitest.Output("x1", "marker-output-line\n"))
	m.Update(feed.next()())

	if s.cur != 0 {
		t.Fatalf("cur = %d", s.cur)
	}
	scr := screenOf(m.View())
	if strings.Contains(scr, "marker") {
		t.Fatalf("the first case's pane shows the second's events:\n%s", scr)
	}
	if !strings.Contains(scr, "no agent events yet") {
		t.Fatalf("the first case's pane does not say it has no events:\n%s", scr)
	}
	m.Update(keyMsg("j"))
	scr = screenOf(m.View())
	for _, want := range []string{"only the second case says this", "$ echo marker-of-second", "marker-output-line"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("selected second case: screen lacks %q:\n%s", want, scr)
		}
	}
	// More events for it while the other case is selected.
	m.Update(keyMsg("k"))
	feed.Event("second", uitest.Output("x1", "arrived-while-away\n"))
	m.Update(feed.next()())
	if strings.Contains(screenOf(m.View()), "arrived-while-away") {
		t.Fatal("the first case's pane shows the second's output")
	}
	m.Update(keyMsg("j"))
	if scr := screenOf(m.View()); !strings.Contains(scr, "arrived-while-away") {
		t.Fatalf("output that came while unselected is missing:\n%s", scr)
	}
}

// tab gives the stream the keyboard (j/k then move in the stream, not the
// list); tab again gives it back; d toggles the details.
func TestSuiteStreamFocusKeys(t *testing.T) {
	feed := NewSuiteFeed()
	opts := suiteOptions()
	opts.SpillDir = t.TempDir()
	m := NewSuite(feed, opts)
	defer m.Close()
	s := m.s
	s.w, s.h = 120, 30
	for i, id := range []string{"a", "b"} {
		feed.Update(suite.CaseStatus{Index: i, Total: 2, ID: id, State: suite.StateRunning})
	}
	m.Update(feed.next()())
	m.Update(keyMsg("tab"))
	if s.focus || !strings.Contains(s.notice, "no agent events") {
		t.Fatalf("tab on a case without events: focus %v, notice %q", s.focus, s.notice)
	}
	feed.Event("a", evAction("c1", "ls"))
	feed.Event("a", evAction("c2", "pwd"))
	m.Update(feed.next()())
	m.Update(keyMsg("tab"))
	if !s.focus || !s.streams["a"].Focused() {
		t.Fatal("tab did not focus the stream")
	}
	m.Update(keyMsg("j"))
	if s.cur != 0 {
		t.Fatal("j moved the case list while the stream had the keyboard")
	}
	m.Update(keyMsg("tab"))
	if s.focus || s.streams["a"].Focused() {
		t.Fatal("tab did not give the keyboard back to the list")
	}
	m.Update(keyMsg("d"))
	if !s.details || !strings.Contains(screenOf(m.View()), "timeline") {
		t.Fatal("d did not show the details")
	}
	m.Update(keyMsg("tab"))
	if s.details || !s.focus {
		t.Fatal("tab from the details did not show and focus the stream")
	}
	m.Update(keyMsg("d"))
	if s.focus || s.streams["a"].Focused() {
		t.Fatal("the hidden stream kept the keyboard")
	}
}

// With nobody reading, the feed takes everything at once and stays
// bounded: output beyond the per-case allowance is left out with a note,
// while actions, observations, states and errors are all kept.
func TestSuiteFeedEventsNeverBlockAndStayBounded(t *testing.T) {
	feed := NewSuiteFeed()
	const cases, calls = 20, 50
	chunk := strings.Repeat("y", 1023) + "\n"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range cases {
			id := fmt.Sprintf("case-%d", c)
			feed.Update(suite.CaseStatus{Index: c, Total: cases, ID: id})
			for k := range calls {
				call := fmt.Sprintf("call-%d", k)
				feed.Event(id, evAction(call, "yes"))
				for range 20 {
					feed.Event(id, uitest.Output(call, chunk))
					feed.Event(id, session.Event{Kind: session.KindAssistantDelta, Message: &session.Message{Text: chunk}})
				}
				feed.Event(id, evObservation(call, 0, time.Millisecond, "ok"))
			}
			feed.Event(id, session.Event{Kind: session.KindError, Error: &session.ErrorInfo{Message: "boom"}})
			feed.Event(id, uitest.State(session.StateRunning, session.StateError, "boom"))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Event blocked with nobody reading")
	}
	msg := feed.next()().(suiteFeedMsg)
	if len(msg.events) != cases {
		t.Fatalf("events of %d cases, want %d", len(msg.events), cases)
	}
	for _, ce := range msg.events {
		counts := map[session.Kind]int{}
		text, notes := 0, 0
		for _, ev := range ce.evs {
			counts[ev.Kind]++
			switch {
			case ev.Output != nil && strings.Contains(ev.Output.Data, "skipped in this view"):
				notes++
			case ev.Output != nil:
				text += len(ev.Output.Data)
			case ev.Kind == session.KindAssistantDelta:
				text += len(ev.Message.Text)
			}
		}
		if counts[session.KindAction] != calls || counts[session.KindObservation] != calls ||
			counts[session.KindError] != 1 || counts[session.KindState] != 1 {
			t.Fatalf("%s: kept %v; every action, observation, error and state must stay", ce.id, counts)
		}
		if text > maxQueuedText {
			t.Fatalf("%s: %d bytes of text queued, more than the %d allowed", ce.id, text, maxQueuedText)
		}
		if notes == 0 {
			t.Fatalf("%s: output was left out without a note", ce.id)
		}
	}
	// Once taken, a case's allowance is whole again.
	feed.Event("case-0", uitest.Output("call-0", chunk))
	msg = feed.next()().(suiteFeedMsg)
	if len(msg.events) != 1 || len(msg.events[0].evs) != 1 || msg.events[0].evs[0].Output.Data != chunk {
		t.Fatalf("after a drain: %+v", msg.events)
	}
}

// Close removes the spill directory the view made for itself.
func TestSuiteCloseRemovesItsSpillDir(t *testing.T) {
	feed := NewSuiteFeed()
	opts := suiteOptions()
	opts.MaxOutputRAM = 1024 // spill early
	m := NewSuite(feed, opts)
	feed.Update(suite.CaseStatus{Index: 0, Total: 1, ID: "big"})
	feed.Event("big", evAction("b1", "seq 1 100000"))
	for i := range 200 {
		feed.Event("big", uitest.Output("b1", fmt.Sprintf("line %d %s\n", i, strings.Repeat("z", 80))))
	}
	m.Update(feed.next()())
	dir := m.s.tmpDir
	if dir == "" {
		t.Fatal("no spill dir was made")
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) == 0 {
		t.Fatalf("no spill file in %s (err %v)", dir, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("spill dir %s still there (err %v)", dir, err)
	}
}
