package session

import (
	"path/filepath"
	"testing"
)

func TestSetModelSendsTheNextCallToTheNewModelAndRecordsTheSwitch(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	a := &fakeModel{replies: []fakeReply{{text: "from a"}}}
	b := &fakeModel{replies: []fakeReply{{text: "from b"}}}
	s, _ := newTestSession(t, a, func(o *Options) { o.RecordPath = rec; o.ModelName = "model-a" })
	c := collect(s)
	if err := s.Send("one"); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "first run finished", func(ev Event) bool { return ev.Kind == KindState && ev.State.To.Terminal() })
	if err := s.SetModel(b, " model-b "); err != nil {
		t.Fatal(err)
	}
	if got := s.ModelName(); got != "model-b" {
		t.Fatalf("ModelName = %q", got)
	}
	if err := s.Send("two"); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "reply from b", func(ev Event) bool {
		return ev.Kind == KindAssistantMessage && ev.Message.Text == "from b"
	})
	evs := c.finish(t, s)
	if n := len(a.requests()); n != 1 {
		t.Fatalf("model a got %d calls, want 1", n)
	}
	reqs := b.requests()
	if len(reqs) != 1 {
		t.Fatalf("model b got %d calls, want 1", len(reqs))
	}
	// The conversation carries over: b sees the first exchange.
	if msgs := reqs[0].Messages; len(msgs) < 4 || msgs[2].Content != "from a" {
		t.Fatalf("b did not get the conversation so far: %+v", msgs)
	}
	var live *ModelChange
	for _, ev := range evs {
		if ev.Kind == KindModel {
			live = ev.ModelChange
		}
	}
	if live == nil || live.From != "model-a" || live.To != "model-b" {
		t.Fatalf("model event = %+v", live)
	}
	r, err := ReadRecording(rec)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range r {
		if ev.Kind == KindModel && ev.ModelChange != nil && ev.ModelChange.To == "model-b" {
			found = true
		}
	}
	if !found {
		t.Fatal("the recording does not show the switch")
	}
}

func TestSetModelRefusesNothingToSwitchTo(t *testing.T) {
	s, _ := newTestSession(t, &fakeModel{}, nil)
	defer s.Close()
	if err := s.SetModel(nil, "x"); err == nil {
		t.Fatal("nil model accepted")
	}
	if err := s.SetModel(&fakeModel{}, "  "); err == nil {
		t.Fatal("empty name accepted")
	}
	if got := s.ModelName(); got != "fake-model" {
		t.Fatalf("a refused switch changed the name to %q", got)
	}
}
