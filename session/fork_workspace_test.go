package session

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// seedWorkspace gives a workspace files of several kinds.
func seedWorkspace(t *testing.T, w string) {
	t.Helper()
	os.MkdirAll(filepath.Join(w, "src/deep"), 0o755)
	os.WriteFile(filepath.Join(w, "src/main.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(w, "src/deep/run.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("src/main.go", filepath.Join(w, "main"))
}

// recordEdits runs a session whose three tool calls change the files:
// it returns the recording, the model's requests and the workspace's
// hashes after each call.
func recordEdits(t *testing.T) (string, []llmtest.ChatRequest, []map[string]string) {
	t.Helper()
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "echo one > a.txt && mkdir made"})),
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "cat a.txt"})), // changes nothing
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "echo two >> a.txt && rm src/main.go && chmod 600 src/deep/run.sh"})),
		llmtest.TextReply("done"),
	)
	client, _ := llm.New(srv.Config("m1"))
	rec := filepath.Join(t.TempDir(), "parent.jsonl")
	sb := ttSandbox(t)
	seedWorkspace(t, sb.WorkDir())
	s, err := New(Options{Sandbox: sb, Model: client, ModelName: "m1", RecordPath: rec})
	if err != nil {
		t.Fatal(err)
	}
	var states []map[string]string
	go func() {
		for ev := range s.Events() {
			if ev.Kind == KindObservation {
				states = append(states, sandboxtest.TreeHashes(t, sb.WorkDir()))
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res, err := s.Run(ctx, "edit the files"); err != nil || res.Status != StateFinished {
		t.Fatalf("parent run: %v %+v", err, res)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return rec, srv.Requests(), states
}

func TestForkRestoresTheWorkspaceOfItsStepExactlyInAFreshSandbox(t *testing.T) {
	rec, parentReqs, states := recordEdits(t)
	_, evs, err := ReadRecordingFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	var snaps int
	for _, ev := range evs {
		if ev.Kind == KindWorkspace && ev.Workspace.Snapshot != "" {
			snaps++
		}
	}
	if snaps != 3 { // before the first call, after the first and third (the second changed nothing)
		t.Fatalf("%d snapshots recorded, want 3 (a baseline and one per call that changed the files)", snaps)
	}
	initial := map[string]string{}
	{
		d := t.TempDir()
		seedWorkspace(t, d)
		initial = sandboxtest.TreeHashes(t, d)
	}
	cases := []struct {
		name string
		at   int64
		edit Edit
		want map[string]string
	}{
		{"at the prompt", seqOf(t, evs, KindUserMessage, 0), Edit{Prompt: "something else"}, initial},
		{"at the first call", seqOf(t, evs, KindAction, 0), Edit{}, initial},
		{"at the first observation", seqOf(t, evs, KindObservation, 0), Edit{}, states[0]},
		{"at the third call", seqOf(t, evs, KindAction, 2), Edit{}, states[1]},
		{"at the third observation", seqOf(t, evs, KindObservation, 2), Edit{}, states[2]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fresh := ttSandbox(t)
			os.WriteFile(filepath.Join(fresh.WorkDir(), "stray"), []byte("not from the recording"), 0o644)
			s, err := Fork(context.Background(), fresh, rec, c.at, c.edit, Options{RecordPath: filepath.Join(t.TempDir(), "b.jsonl")})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := sandboxtest.TreeHashes(t, fresh.WorkDir()); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("workspace after the fork:\n got %v\nwant %v", got, c.want)
			}
			w := s.Result().Workspace
			if w == nil || w.Method != "snapshot" || !w.Exact() {
				t.Fatalf("Result.Workspace = %+v, want an exact snapshot restore", w)
			}
		})
	}

	// The branch goes on from the restored files and the model gets the
	// conversation up to the fork point plus the edited call's result.
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("branch done"))
	client, _ := llm.New(srv.Config("m2"))
	fresh := ttSandbox(t)
	at := seqOf(t, evs, KindAction, 2)
	s, err := Fork(context.Background(), fresh, rec, at,
		Edit{Args: []byte(`{"command":"cat a.txt; ls src"}`)}, Options{Model: client, RecordPath: filepath.Join(t.TempDir(), "b.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if res := runBranch(t, s, ""); res.Status != StateFinished {
		t.Fatalf("branch: %+v", res)
	}
	got := srv.Requests()[0].Messages
	want := parentReqs[2].Messages
	// The system prompt names the sandbox's work dir, which differs.
	if !reflect.DeepEqual(got[1:len(want)], want[1:]) {
		t.Fatalf("branch conversation up to the fork point differs:\n got %+v\nwant %+v", got[:len(want)], want)
	}
	last := got[len(got)-1]
	if len(got) != len(want)+2 || last.Role != llm.RoleTool || !strings.Contains(last.Content, "one") || !strings.Contains(last.Content, "main.go") {
		t.Fatalf("the edited call did not run on the restored files: %+v", got[len(want):])
	}
}

// hiddenStore hides the sandbox's snapshot capability (a provider that
// has none, such as Daytona).
type hiddenStore struct{ sandbox.Sandbox }

func TestForkWithoutSnapshotsReplaysTheRecordedCallsAndSaysWhatDiffers(t *testing.T) {
	rec, _, states := recordEdits(t)
	_, evs, _ := ReadRecordingFile(rec)
	at := seqOf(t, evs, KindObservation, 0)

	fresh := ttSandbox(t)
	seedWorkspace(t, fresh.WorkDir()) // what the sandbox's spec gives it
	s, err := Fork(context.Background(), hiddenStore{fresh}, rec, at, Edit{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := sandboxtest.TreeHashes(t, fresh.WorkDir()); !reflect.DeepEqual(got, states[0]) {
		t.Fatalf("replayed workspace:\n got %v\nwant %v", got, states[0])
	}
	if w := s.Result().Workspace; w == nil || w.Method != "replay" || w.Replayed != 1 || !w.Exact() {
		t.Fatalf("Result.Workspace = %+v, want one call replayed exactly", w)
	}

	// A replayed command that fails where it had succeeded is named.
	clash := ttSandbox(t)
	seedWorkspace(t, clash.WorkDir())
	os.WriteFile(filepath.Join(clash.WorkDir(), "made"), nil, 0o644) // mkdir made fails
	s, err = Fork(context.Background(), hiddenStore{clash}, rec, 0, Edit{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	w := s.Result().Workspace
	if w == nil || w.Exact() || len(w.Unrestored) != 1 || w.Unrestored[0].Event != seqOf(t, evs, KindAction, 0) ||
		!strings.Contains(w.Unrestored[0].Reason, "exit code 0 when recorded, 1 on replay") {
		t.Fatalf("Result.Workspace = %+v, want the first call named as not restored", w)
	}
	if !strings.Contains(w.Summary(), "not restored: event") {
		t.Fatalf("summary %q does not say what was not restored", w.Summary())
	}
}
