package session

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
)

// recordThreeSteps runs a session that writes two files with two terminal
// calls and answers; it returns the recording and the requests the model got.
func recordThreeSteps(t *testing.T) (string, []llmtest.ChatRequest, sandbox.Sandbox) {
	t.Helper()
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "echo one > a.txt"})),
		llmtest.Reply{Text: "now the second", ToolCalls: []llmtest.ToolCallReply{llmtest.Call(ToolTerminal, map[string]any{"command": "echo two > b.txt"})}},
		llmtest.TextReply("done: a.txt and b.txt"),
	)
	client, err := llm.New(srv.Config("m1"))
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "parent.jsonl")
	sb := ttSandbox(t)
	s, err := New(Options{Sandbox: sb, Model: client, ModelName: "m1", RecordPath: rec})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.Run(ctx, "write a.txt and b.txt")
	if err != nil || res.Status != StateFinished {
		t.Fatalf("parent run: %v %+v", err, res)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return rec, srv.Requests(), sb
}

func seqOf(t *testing.T, evs []Event, kind Kind, nth int) int64 {
	t.Helper()
	for _, ev := range evs {
		if ev.Kind == kind {
			if nth == 0 {
				return ev.Seq
			}
			nth--
		}
	}
	t.Fatalf("no %s #%d in the recording", kind, nth)
	return 0
}

func runBranch(t *testing.T, s *Session, prompt string) Result {
	t.Helper()
	go func() {
		for range s.Events() {
		}
	}()
	var err error
	if prompt != "" {
		err = s.Send(prompt)
	} else {
		err = s.Continue()
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestForkAtObservationSendsTheConversationUpToItWithTheEdit(t *testing.T) {
	rec, parentReqs, sb := recordThreeSteps(t)
	_, evs, err := ReadRecordingFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	at := seqOf(t, evs, KindObservation, 0)
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("branch done"))
	client, _ := llm.New(srv.Config("m2"))
	edited := "EDITED: the file system is read-only"
	branchRec := filepath.Join(t.TempDir(), "branch.jsonl")
	s, err := Fork(context.Background(), sb, rec, at, Edit{Observation: &edited},
		Options{Model: client, ModelName: "m2", RecordPath: branchRec})
	if err != nil {
		t.Fatal(err)
	}
	res := runBranch(t, s, "")
	if res.Status != StateFinished || res.FinalMessage != "branch done" {
		t.Fatalf("branch result %+v", res)
	}
	got := srv.Requests()
	if len(got) != 1 {
		t.Fatalf("branch made %d model calls, want 1", len(got))
	}
	want := append([]llm.Message(nil), parentReqs[1].Messages...)
	want[len(want)-1].Content = edited
	if !reflect.DeepEqual(got[0].Messages, want) {
		a, _ := json.MarshalIndent(got[0].Messages, "", " ")
		b, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("branch conversation differs\n got %s\nwant %s", a, b)
	}
	hdr, bevs, err := ReadRecordingFile(branchRec)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.ForkAt != at || hdr.Parent == "" || hdr.FormatVersion != RecordFormatVersion {
		t.Fatalf("branch header %+v does not name its parent and fork point %d", hdr, at)
	}
	// The branch's own recording rebuilds to its whole conversation.
	cp, err := Rebuild(bevs, 0, Edit{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cp.Conv); n != len(want) { // want without system + the final answer
		t.Fatalf("branch recording rebuilds %d messages, want %d", n, len(want))
	}
}

func TestForkAtActionRunsTheEditedCallThenTheModel(t *testing.T) {
	rec, parentReqs, sb := recordThreeSteps(t)
	_, evs, _ := ReadRecordingFile(rec)
	at := seqOf(t, evs, KindAction, 1) // the second call
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("edited branch done"))
	client, _ := llm.New(srv.Config("m1"))
	s, err := Fork(context.Background(), sb, rec, at, Edit{Args: json.RawMessage(`{"command":"echo three > c.txt"}`)},
		Options{Model: client, ModelName: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	runBranch(t, s, "")
	if data, err := sb.ReadFile(context.Background(), "c.txt"); err != nil || string(data) != "three\n" {
		t.Fatalf("edited call did not run in the branch's sandbox: %q %v", data, err)
	}
	got := srv.Requests()
	if len(got) != 1 {
		t.Fatalf("branch made %d model calls, want 1", len(got))
	}
	// Everything before the edited call is the parent's third request's
	// prefix; the assistant message carries the edited arguments.
	want := parentReqs[2].Messages
	g := got[0].Messages
	if len(g) != len(want) {
		t.Fatalf("branch sent %d messages, parent %d", len(g), len(want))
	}
	if !reflect.DeepEqual(g[:len(g)-2], want[:len(want)-2]) {
		t.Fatalf("conversation before the fork point differs")
	}
	if args := g[len(g)-2].ToolCalls[0].Arguments; args != `{"command":"echo three > c.txt"}` {
		t.Fatalf("edited call sent as %s", args)
	}
	if g[len(g)-1].Role != llm.RoleTool || g[len(g)-1].ToolCallID != want[len(want)-1].ToolCallID {
		t.Fatalf("edited call's result missing: %+v", g[len(g)-1])
	}
}

func TestForkAtPromptWithNewTextStartsFromIt(t *testing.T) {
	rec, parentReqs, sb := recordThreeSteps(t)
	_, evs, _ := ReadRecordingFile(rec)
	at := seqOf(t, evs, KindUserMessage, 0)
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("ok"))
	client, _ := llm.New(srv.Config("m1"))
	s, err := Fork(context.Background(), sb, rec, at, Edit{Prompt: "say ok"}, Options{Model: client})
	if err != nil {
		t.Fatal(err)
	}
	runBranch(t, s, "")
	g := srv.Requests()[0].Messages
	if len(g) != 2 || !reflect.DeepEqual(g[0], parentReqs[0].Messages[0]) || g[1].Content != "say ok" {
		t.Fatalf("fork at the prompt sent %+v", g)
	}
}

func TestForkRejectsEditsThatDoNotFitTheEvent(t *testing.T) {
	rec, _, _ := recordThreeSteps(t)
	_, evs, _ := ReadRecordingFile(rec)
	obs := "x"
	for _, tc := range []struct {
		at   int64
		edit Edit
	}{
		{seqOf(t, evs, KindUserMessage, 0), Edit{Observation: &obs}},
		{seqOf(t, evs, KindObservation, 0), Edit{Prompt: "p"}},
		{seqOf(t, evs, KindAction, 0), Edit{Args: json.RawMessage(`{bad`)}},
		{9999, Edit{}},
	} {
		if _, err := Rebuild(evs, tc.at, tc.edit); err == nil {
			t.Errorf("Rebuild(at %d, %+v) accepted", tc.at, tc.edit)
		}
	}
}

func TestResumeOfAFinishedRunNeedsAPromptAndKeepsTheConversation(t *testing.T) {
	rec, parentReqs, sb := recordThreeSteps(t)
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("more"))
	client, _ := llm.New(srv.Config("m1"))
	s, err := Resume(context.Background(), sb, rec, Options{Model: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Continue(); err != ErrRunEnded {
		t.Fatalf("Continue after a finished run: %v, want ErrRunEnded", err)
	}
	runBranch(t, s, "and now c.txt")
	g := srv.Requests()[0].Messages
	prev := parentReqs[2].Messages
	if len(g) != len(prev)+2 || !reflect.DeepEqual(g[:len(prev)], prev) || g[len(prev)].Content != "done: a.txt and b.txt" || g[len(prev)+1].Content != "and now c.txt" {
		t.Fatalf("resumed conversation %+v", g)
	}
}
