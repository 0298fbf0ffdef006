package session

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

// recordWithSwitch records a session that answers one prompt on m1, is
// switched to m2 (ctrl+o) and answers a second there.
func recordWithSwitch(t *testing.T, srv *llmtest.Server) string {
	t.Helper()
	srv.Enqueue(llmtest.TextReply("from m1"), llmtest.TextReply("from m2"))
	m1, err := llm.New(srv.Config("m1"))
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "parent.jsonl")
	s, err := New(Options{Sandbox: newFakeSandbox(t), Tools: fakeTools(), Model: m1, ModelName: "m1", RecordPath: rec})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Run(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	m2, _ := m1.WithModel("m2")
	if err := s.SetModel(m2, "m2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx, "two"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return rec
}

// branchOn resumes (at 0) or forks rec on the configured model m1 and
// sends prompt; it returns the branch's events.
func branchOn(t *testing.T, srv *llmtest.Server, rec string, at int64, mod func(*Options)) (*Session, []Event) {
	t.Helper()
	m1, _ := llm.New(srv.Config("m1"))
	opts := Options{Sandbox: newFakeSandbox(t), Tools: fakeTools(), Model: m1, ModelName: "m1",
		RecordPath: filepath.Join(t.TempDir(), "branch.jsonl")}
	if mod != nil {
		mod(&opts)
	}
	var s *Session
	var err error
	if at == 0 {
		s, err = Resume(context.Background(), opts.Sandbox, rec, opts)
	} else {
		s, err = Fork(context.Background(), opts.Sandbox, rec, at, Edit{}, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := collect(s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res, err := s.Run(ctx, "three"); err != nil || res.Status != StateFinished {
		t.Fatalf("branch run: %v %+v", err, res)
	}
	return s, c.finish(t, s)
}

func lastModelEvent(evs []Event) *ModelChange {
	var last *ModelChange
	for _, ev := range evs {
		if ev.Kind == KindModel {
			last = ev.ModelChange
		}
	}
	return last
}

func TestResumeGoesOnWithTheModelTheRecordingSwitchedTo(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithModels("m1", "m2"))
	rec := recordWithSwitch(t, srv)
	srv.Enqueue(llmtest.TextReply("resumed"))
	s, evs := branchOn(t, srv, rec, 0, nil)
	reqs := srv.Requests()
	if got := reqs[len(reqs)-1].Model; got != "m2" {
		t.Fatalf("the request after resume went to %q, want the switched-to m2", got)
	}
	if got := s.ModelName(); got != "m2" {
		t.Fatalf("ModelName = %q", got)
	}
	if c := lastModelEvent(evs); c == nil || c.To != "m2" {
		t.Fatalf("the stream's last model event = %+v, want the switch to m2", c)
	}
	hdr, _, err := ReadRecordingFile(s.opts.RecordPath)
	if err != nil || hdr.Model != "m2" {
		t.Fatalf("branch recording header model = %q (%v)", hdr.Model, err)
	}
}

func TestForkBeforeASwitchUsesTheModelOfThatPoint(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithModels("m1", "m2"))
	rec := recordWithSwitch(t, srv)
	_, evs, err := ReadRecordingFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	after := seqOf(t, evs, KindUserMessage, 1) // "two", after the switch
	before := seqOf(t, evs, KindUserMessage, 0)
	srv.Enqueue(llmtest.TextReply("branch after"), llmtest.TextReply("branch before"))
	branchOn(t, srv, rec, after, nil)
	branchOn(t, srv, rec, before, func(o *Options) { o.ModelFor = func(string) (Model, error) { panic("no switch before it") } })
	reqs := srv.Requests()
	// The fork at "two" (after the switch) goes to m2; the fork at "one"
	// stays on m1.
	var got []string
	for _, r := range reqs[2:] {
		got = append(got, r.Model)
	}
	if strings.Join(got, ",") != "m2,m1" {
		t.Fatalf("branch requests went to %v, want m2 then m1", got)
	}
}

func TestPinnedOrUnbuildableModelIsKeptAndTheStreamSaysWhich(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithModels("m1", "m2"))
	rec := recordWithSwitch(t, srv)
	srv.Enqueue(llmtest.TextReply("pinned"), llmtest.TextReply("fallback"))
	_, evs := branchOn(t, srv, rec, 0, func(o *Options) { o.ModelPinned = true })
	if c := lastModelEvent(evs); c == nil || c.From != "m2" || c.To != "m1" {
		t.Fatalf("pinned: last model event = %+v, want m2 → m1", c)
	}
	_, evs = branchOn(t, srv, rec, 0, func(o *Options) {
		o.ModelFor = func(string) (Model, error) { return nil, errors.New("no key for m2") }
	})
	var said bool
	for _, ev := range evs {
		if ev.Kind == KindError && strings.Contains(ev.Error.Message, "no key for m2") && strings.Contains(ev.Error.Message, "going on with m1") {
			said = true
		}
	}
	if !said {
		t.Fatal("no error event saying the recorded model could not be set up")
	}
	reqs := srv.Requests()
	if reqs[len(reqs)-1].Model != "m1" || reqs[len(reqs)-2].Model != "m1" {
		t.Fatalf("pinned/fallback went to %q, %q", reqs[len(reqs)-2].Model, reqs[len(reqs)-1].Model)
	}
}
