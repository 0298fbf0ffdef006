package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
	"golang.org/x/sys/unix"
)

// heldRestore is a sandbox whose snapshot restore waits until the test
// releases it (a slow copy), then restores for real or fails.
type heldRestore struct {
	sandbox.Sandbox
	release  chan struct{}
	fail     error
	started  chan struct{}
	returned chan error // what RestoreFrom returned, once it has
}

func newHeldRestore(sb sandbox.Sandbox, fail error) *heldRestore {
	return &heldRestore{Sandbox: sb, release: make(chan struct{}), fail: fail, started: make(chan struct{}), returned: make(chan error, 1)}
}

func (h *heldRestore) Unwrap() sandbox.Sandbox { return h.Sandbox }

func (h *heldRestore) SnapshotTo(ctx context.Context, dir, prev string) (bool, error) {
	st, _ := sandbox.As[sandbox.SnapshotStore](h.Sandbox)
	return st.SnapshotTo(ctx, dir, prev)
}

func (h *heldRestore) RestoreFrom(ctx context.Context, dir string) (err error) {
	defer func() { h.returned <- err }()
	close(h.started)
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(20 * time.Second): // the old code blocks Fork here
		return errors.New("never released")
	}
	if h.fail != nil {
		return h.fail
	}
	st, _ := sandbox.As[sandbox.SnapshotStore](h.Sandbox)
	return st.RestoreFrom(ctx, dir)
}

// hashTool records the workspace's hashes (host side) when it runs.
type hashTool struct {
	dir string
	t   *testing.T
	mu  sync.Mutex
	got []map[string]string
}

func (h *hashTool) Definition() llm.Tool {
	return llm.Tool{Name: "hash_all", Description: "hash the files", Parameters: []byte(`{"type":"object"}`)}
}

func (h *hashTool) Run(ctx context.Context, call ToolCall) (ToolResult, error) {
	hs := sandboxtest.TreeHashes(h.t, h.dir)
	h.mu.Lock()
	h.got = append(h.got, hs)
	h.mu.Unlock()
	return ToolResult{Content: "hashed"}, nil
}

func (h *hashTool) runs() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// pipelinedFork forks the recording at its third observation (files as
// states[2]) into a fresh sandbox whose restore is held, with a model
// that calls hash_all and then ends.
func pipelinedFork(t *testing.T, fail error) (s *Session, held *heldRestore, srv *llmtest.Server, tool *hashTool, want map[string]string, evs chan Event, rec string, at int64) {
	t.Helper()
	rec, _, states := recordEdits(t)
	_, recEvs, err := ReadRecordingFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	srv = llmtest.NewServer(t)
	srv.Enqueue(llmtest.ToolReply(llmtest.Call("hash_all", map[string]any{})), llmtest.TextReply("branch done"))
	client, _ := llm.New(srv.Config("m2"))
	fresh := ttSandbox(t)
	held = newHeldRestore(fresh, fail)
	tool = &hashTool{dir: fresh.WorkDir(), t: t}
	forked := make(chan *Session, 1)
	go func() {
		s, err := Fork(context.Background(), held, rec, seqOf(t, recEvs, KindObservation, 2), Edit{},
			Options{Model: client, RecordPath: filepath.Join(t.TempDir(), "b.jsonl"), PipelineRestore: true,
				ExtraTools: func() []Tool { return []Tool{tool} }})
		if err != nil {
			t.Error(err)
		}
		forked <- s
	}()
	select {
	case s = <-forked:
	case <-time.After(10 * time.Second):
		close(held.release)
		t.Fatal("Fork did not return while its restore was in progress")
	}
	if s == nil {
		t.FailNow()
	}
	t.Cleanup(func() { s.Close() })
	evs = make(chan Event, 1024)
	go func() {
		for ev := range s.Events() {
			evs <- ev
		}
		close(evs)
	}()
	if err := s.Continue(); err != nil {
		t.Fatal(err)
	}
	// The branch is running: its first model request reaches the server
	// while the restore is still held.
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no model request while the restore was in progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-held.returned:
		t.Fatalf("the restore ended (%v) before the test released it", err)
	default:
	}
	return s, held, srv, tool, states[2], evs, rec, seqOf(t, recEvs, KindObservation, 2)
}

func TestPipelinedForkCallsTheModelDuringTheRestoreAndItsToolSeesEveryFile(t *testing.T) {
	s, held, srv, tool, want, evs, _, _ := pipelinedFork(t, nil)
	shellDone := make(chan error, 1) // the user's !cmd waits too
	go func() { shellDone <- s.Shell("cat a.txt") }()
	time.Sleep(200 * time.Millisecond) // the model asked for hash_all: it must wait
	if n := len(tool.runs()); n != 0 {
		t.Fatalf("hash_all ran %d times before the workspace was restored", n)
	}
	select {
	case err := <-shellDone:
		t.Fatalf("!cmd ran (%v) before the workspace was restored", err)
	default:
	}
	close(held.release)
	select {
	case err := <-shellDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("!cmd never ran after the restore")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.Wait(ctx)
	if err != nil || res.Status != StateFinished {
		t.Fatalf("branch: %v %+v", err, res)
	}
	runs := tool.runs()
	if len(runs) != 1 || !reflect.DeepEqual(runs[0], want) {
		t.Fatalf("hash_all saw %v\nwant the fork point's files %v", runs, want)
	}
	if w := res.Workspace; w == nil || w.Method != "snapshot" || !w.Exact() {
		t.Fatalf("Result.Workspace = %+v, want an exact snapshot restore", w)
	}
	if len(srv.Requests()) != 2 {
		t.Fatalf("%d model requests, want 2", len(srv.Requests()))
	}
	s.Close()
	var restoredAt, observedAt int
	i := 0
	for ev := range evs {
		i++
		switch {
		case ev.Kind == KindWorkspace && ev.Workspace.Restored != nil:
			restoredAt = i
		case ev.Kind == KindObservation && ev.Observation.Tool == "hash_all":
			observedAt = i
		case ev.Kind == KindObservation && ev.Observation.ToolCallID == "user_1":
			if !strings.Contains(ev.Observation.Content, "one\ntwo") || restoredAt == 0 {
				t.Fatalf("!cmd saw %q (restored event #%d)", ev.Observation.Content, restoredAt)
			}
		}
	}
	if restoredAt == 0 || observedAt < restoredAt {
		t.Fatalf("restored event #%d, hash_all observation #%d: the restore must be told before the tool's result", restoredAt, observedAt)
	}
}

func TestPipelinedForkWhoseRestoreFailsSaysSoAndRunsNoToolOnHalfFiles(t *testing.T) {
	s, held, _, tool, _, evs, rec, at := pipelinedFork(t, errors.New("disk on fire"))
	// What a fork restoring before it returns makes of the same failure
	// (a replay in a fresh sandbox): the pipelined one must match it.
	other := newHeldRestore(ttSandbox(t), errors.New("disk on fire"))
	close(other.release)
	sync, err := Fork(context.Background(), other, rec, at, Edit{}, Options{RecordPath: filepath.Join(t.TempDir(), "c.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	want := sandboxtest.TreeHashes(t, other.WorkDir())
	sync.Close()
	close(held.release)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.Wait(ctx)
	if err != nil || res.Status != StateFinished {
		t.Fatalf("branch: %v %+v", err, res)
	}
	w := res.Workspace
	if w == nil || w.Method != "replay" || len(w.Unrestored) == 0 || !strings.Contains(w.Unrestored[0].Reason, "disk on fire") {
		t.Fatalf("Result.Workspace = %+v, want the failed restore told and a replay", w)
	}
	// The tool waited for the replay that rebuilt the files.
	if runs := tool.runs(); len(runs) != 1 || !reflect.DeepEqual(runs[0], want) {
		t.Fatalf("hash_all saw %v\nwant the rebuilt files %v", runs, want)
	}
	s.Close()
	var told bool
	for ev := range evs {
		if ev.Kind == KindWorkspace && ev.Workspace.Restored != nil && strings.Contains(ev.Workspace.Restored.Summary(), "disk on fire") {
			told = true
		}
		if ev.Kind == KindObservation && ev.Observation.Tool == "hash_all" && !told {
			t.Fatal("hash_all ran before the failed restore was told")
		}
	}
	if !told {
		t.Fatal("no workspace event told the failed restore")
	}
}

func TestCancelAndCloseDuringAPipelinedRestore(t *testing.T) {
	s, held, _, tool, _, evs, _, _ := pipelinedFork(t, nil)
	// The model's hash_all waits for the files; cancelling ends the run
	// at once, the restore going on for the branch's next prompt.
	time.Sleep(100 * time.Millisecond)
	s.Cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := s.Wait(ctx)
	if err != nil || res.Status != StateCancelled {
		t.Fatalf("cancel during the restore: %v %+v", err, res)
	}
	select {
	case err := <-held.returned:
		t.Fatalf("run cancel stopped the restore: %v", err)
	default:
	}
	// Closing the branch stops the restore and waits for it.
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a restore in progress")
	}
	select {
	case err := <-held.returned:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("restore returned %v, want it cancelled", err)
		}
	default:
		t.Fatal("Close returned with the restore still running")
	}
	if n := len(tool.runs()); n != 0 {
		t.Fatalf("hash_all ran %d times on a workspace never restored", n)
	}
	var w *Restore
	for ev := range evs {
		if ev.Kind == KindWorkspace && ev.Workspace.Restored != nil {
			w = ev.Workspace.Restored
		}
	}
	if w == nil || w.Exact() || len(w.Unrestored) == 0 || !strings.Contains(w.Unrestored[0].Reason, "cancelled") {
		t.Fatalf("workspace event %+v, want the cancelled restore told", w)
	}
}

// While a pipelined fork copies its files, AGENTS.md is read from the
// snapshot; the agent wrote it, so a link out of it or a FIFO is refused.
func TestProjectContextIsReadFromTheSnapshotWithoutFollowingLinks(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(host, []byte("host key"), 0o600)
	os.WriteFile(filepath.Join(dir, "AGENTS.md"), []byte("use tabs"), 0o644)
	if b, err := readSnapshotFile(dir, "AGENTS.md", 1<<20); err != nil || string(b) != "use tabs" {
		t.Fatalf("regular file: %q %v", b, err)
	}
	os.Remove(filepath.Join(dir, "AGENTS.md"))
	os.Symlink(host, filepath.Join(dir, "AGENTS.md"))
	if b, err := readSnapshotFile(dir, "AGENTS.md", 1<<20); err == nil {
		t.Fatalf("followed a link out of the snapshot: %q", b)
	}
	os.Remove(filepath.Join(dir, "AGENTS.md"))
	if err := unix.Mkfifo(filepath.Join(dir, "AGENTS.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := readSnapshotFile(dir, "AGENTS.md", 1<<20); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("read a FIFO as the project's instructions")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO in the snapshot hung")
	}
}
