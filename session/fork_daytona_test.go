package session

import (
	"context"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// Forks and resumes on Daytona: its real toolbox daemon per sandbox behind
// the control-plane fake, whose fork and snapshot calls really copy a
// sandbox's files.

type dtBranchEnv struct {
	srv *daytonatest.Server
	p   *daytona.Provider
}

func newDtBranchEnv(t *testing.T, snapshotSteps bool, opts ...daytonatest.Option) dtBranchEnv {
	t.Helper()
	env := realdaemon.New(t, opts...)
	p, err := env.NewProvider(daytona.Options{SnapshotSteps: snapshotSteps})
	if err != nil {
		t.Fatal(err)
	}
	return dtBranchEnv{env.Server, p}
}

func (e dtBranchEnv) dir(t *testing.T, id string) string {
	t.Helper()
	fs, ok := e.srv.Sandbox(id)
	if !ok {
		t.Fatalf("no sandbox %s", id)
	}
	return fs.Dir
}

// dtParent runs a session of two file-changing calls on a new Daytona
// sandbox and leaves it running; it returns the recording, the running
// session and the workspace's hashes after each call.
func (e dtBranchEnv) dtParent(t *testing.T) (string, *Running, []map[string]string) {
	t.Helper()
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "mkdir -p src/deep && printf 'a\\000b' > src/bin && echo one > a.txt && ln -s a.txt link"})),
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "echo two >> a.txt && chmod 700 a.txt && rm src/bin && echo x > src/deep/x"})),
		llmtest.TextReply("done"),
	)
	client, _ := llm.New(srv.Config("m1"))
	rec := filepath.Join(t.TempDir(), "parent.jsonl")
	// The files after each call, read when the model is asked again:
	// the loop waits for that, so nothing else runs meanwhile.
	var states []map[string]string
	var dir string
	model := &dtHashingModel{Model: client, at: func() {
		if dir != "" {
			states = append(states, sandboxtest.TreeHashes(t, dir))
		}
	}}
	run, err := Start(context.Background(), Launch{Provider: e.p}, Options{Model: model, ModelName: "m1", RecordPath: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close(context.Background()) })
	dir = e.dir(t, run.Sandbox.ID())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if res, err := run.Session.Run(ctx, "edit the files"); err != nil || res.Status != StateFinished {
		t.Fatalf("parent run: %v %+v", err, res)
	}
	if err := run.Session.Close(); err != nil {
		t.Fatal(err)
	}
	if len(states) != 3 || !maps.Equal(states[2], sandboxtest.TreeHashes(t, dir)) {
		t.Fatalf("%d states seen, want 3 (before the first call and after each)", len(states))
	}
	return rec, run, states[1:]
}

type dtHashingModel struct {
	Model
	at func()
}

func (m *dtHashingModel) Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Response, error) {
	m.at()
	return m.Model.Stream(ctx, req, onDelta)
}

// seqs returns the recording's event seqs of a kind, in order.
func seqs(t *testing.T, rec string, kind Kind) []int64 {
	t.Helper()
	_, evs, err := ReadRecordingFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev.Seq)
		}
	}
	return out
}

// branch forks rec at at on the provider and returns the branch and how
// its files were put back.
func (e dtBranchEnv) branch(t *testing.T, rec string, at int64) (*Running, *Restore) {
	t.Helper()
	client, _ := llm.New(llmtest.NewServer(t).Config("m1"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var states []string
	run, err := Start(ctx, Launch{Provider: e.p, Spec: sandbox.Spec{OnState: func(s string) { states = append(states, s) }},
		From: &Branch{Recording: rec, At: at}}, Options{Model: client, ModelName: "m1", RecordPath: filepath.Join(t.TempDir(), "branch.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close(context.Background()) })
	r := run.Session.Result().Workspace
	if r == nil {
		t.Fatal("the branch says nothing of its workspace")
	}
	t.Logf("restore: %s (sandbox states %v)", r.Summary(), states)
	return run, r
}

func TestDaytonaForkAtTheLiveStepForksTheSandboxExactly(t *testing.T) {
	e := newDtBranchEnv(t, false, daytonatest.WithForkDelay(300*time.Millisecond))
	rec, parent, states := e.dtParent(t)
	obs := seqs(t, rec, KindObservation)
	b, r := e.branch(t, rec, obs[1]) // after the last call: the sandbox is at that step
	if r.Method != RestoreFork || !r.Exact() || r.Snapshot != parent.Sandbox.ID() || r.Replayed != 0 {
		t.Fatalf("restore %+v, want an exact fork of %s", r, parent.Sandbox.ID())
	}
	if got := sandboxtest.TreeHashes(t, e.dir(t, b.Sandbox.ID())); !maps.Equal(got, states[1]) {
		t.Errorf("forked files differ from the parent's at the fork point:\ngot  %v\nwant %v", got, states[1])
	}
	if fs, _ := e.srv.Sandbox(b.Sandbox.ID()); fs.ForkedFrom != parent.Sandbox.ID() {
		t.Errorf("the branch's sandbox is no fork of the parent's (from %q)", fs.ForkedFrom)
	}
	if !strings.Contains(r.Summary(), "forked from the live sandbox") {
		t.Errorf("summary %q", r.Summary())
	}
}

func TestDaytonaForkAtAnEarlierStepDoesNotForkAndReplays(t *testing.T) {
	e := newDtBranchEnv(t, false)
	rec, parent, states := e.dtParent(t)
	obs := seqs(t, rec, KindObservation)
	b, r := e.branch(t, rec, obs[0]) // the second call changed the files since
	if r.Method != "replay" || r.Replayed != 1 || !r.Exact() {
		t.Fatalf("restore %+v, want a replay of the first call", r)
	}
	if n := e.srv.CountRequests(http.MethodPost, "/api/sandbox/"+parent.Sandbox.ID()+"/fork"); n != 0 {
		t.Errorf("%d fork requests for a fork point the sandbox has moved on from", n)
	}
	if got := sandboxtest.TreeHashes(t, e.dir(t, b.Sandbox.ID())); !maps.Equal(got, states[0]) {
		t.Errorf("replayed files differ from the parent's at the fork point:\ngot  %v\nwant %v", got, states[0])
	}
}

func TestDaytonaForkRefusedFallsBackToReplayAndSaysSo(t *testing.T) {
	e := newDtBranchEnv(t, false)
	rec, parent, states := e.dtParent(t)
	e.srv.FailNext(http.MethodPost, "/api/sandbox/"+parent.Sandbox.ID()+"/fork", http.StatusBadRequest, 1)
	b, r := e.branch(t, rec, 0)
	if r.Method != "replay" || r.Replayed != 2 || len(r.Unrestored) != 1 || r.Exact() {
		t.Fatalf("restore %+v, want a replay with the refused fork named", r)
	}
	if u := r.Unrestored[0]; !strings.Contains(u.Reason, "could not fork the recorded sandbox "+parent.Sandbox.ID()) ||
		!strings.Contains(u.Reason, "rebuilt by replaying") {
		t.Errorf("unrestored %+v", u)
	}
	if got := sandboxtest.TreeHashes(t, e.dir(t, b.Sandbox.ID())); !maps.Equal(got, states[1]) {
		t.Errorf("replayed files differ from the parent's:\ngot  %v\nwant %v", got, states[1])
	}
	if live := e.srv.Live(); len(live) != 2 {
		t.Errorf("live sandboxes %v, want the parent's and the branch's", live)
	}
}

func TestDaytonaSnapshotStepsRestoreAnyStepFromDaytonaSnapshots(t *testing.T) {
	e := newDtBranchEnv(t, true, daytonatest.WithSnapshotDelay(200*time.Millisecond))
	rec, parent, states := e.dtParent(t)
	_, evs, _ := ReadRecordingFile(rec)
	var snapSeq []int64
	var names []string
	for _, ev := range evs {
		if ev.Kind == KindWorkspace && ev.Workspace.ProviderSnapshot != "" {
			snapSeq, names = append(snapSeq, ev.Seq), append(names, ev.Workspace.ProviderSnapshot)
		}
	}
	if len(names) != 2 || e.srv.Snapshots()[names[0]].State != "active" {
		t.Fatalf("provider snapshots recorded %v (fake holds %v), want one per call", names, e.srv.Snapshots())
	}
	parent.Close(context.Background()) // nothing live to fork: only the snapshots
	obs := seqs(t, rec, KindObservation)
	b, r := e.branch(t, rec, obs[0])
	if r.Method != RestoreProviderSnapshot || r.From != snapSeq[0] || r.Snapshot != names[0] || r.Replayed != 0 || !r.Exact() {
		t.Fatalf("restore %+v, want the first snapshot, nothing replayed", r)
	}
	if got := sandboxtest.TreeHashes(t, e.dir(t, b.Sandbox.ID())); !maps.Equal(got, states[0]) {
		t.Errorf("files from the snapshot differ from the parent's at the fork point:\ngot  %v\nwant %v", got, states[0])
	}
	if fs, _ := e.srv.Sandbox(b.Sandbox.ID()); fs.Snapshot != names[0] {
		t.Errorf("the branch's sandbox was made from %q, want %s", fs.Snapshot, names[0])
	}
}

func TestDaytonaFailedSnapshotsFallBackToReplayFromTheLastGoodOne(t *testing.T) {
	e := newDtBranchEnv(t, true)
	// The first snapshot works, the second fails: snapshots stop there.
	e.srv.FailSnapshotsAfter(1, 1)
	rec, parent, states := e.dtParent(t)
	_, evs, _ := ReadRecordingFile(rec)
	var names []string
	stopped := false
	for _, ev := range evs {
		if ev.Kind == KindWorkspace && ev.Workspace.ProviderSnapshot != "" {
			names = append(names, ev.Workspace.ProviderSnapshot)
		}
		if ev.Kind == KindError && strings.Contains(ev.Error.Message, "sandbox snapshots stopped") {
			stopped = true
		}
	}
	if len(names) != 1 || !stopped {
		t.Fatalf("snapshots %v, stopped notice %v: want one snapshot and the failure said", names, stopped)
	}
	parent.Close(context.Background())
	b, r := e.branch(t, rec, 0)
	if r.Method != RestoreProviderSnapshot || r.Replayed != 1 || !r.Exact() {
		t.Fatalf("restore %+v, want the first snapshot and the second call replayed", r)
	}
	if got := sandboxtest.TreeHashes(t, e.dir(t, b.Sandbox.ID())); !maps.Equal(got, states[1]) {
		t.Errorf("files differ from the parent's at its end:\ngot  %v\nwant %v", got, states[1])
	}

	// The snapshot gone from Daytona: a plain replay, the failure named.
	e.srv.DeleteSnapshot(names[0])
	b, r = e.branch(t, rec, 0)
	if r.Method != "replay" || r.Replayed != 2 || len(r.Unrestored) != 1 ||
		!strings.Contains(r.Unrestored[0].Reason, "could not be made from the daytona snapshot "+names[0]) {
		t.Fatalf("restore %+v, want a replay naming the unusable snapshot", r)
	}
	if got := sandboxtest.TreeHashes(t, e.dir(t, b.Sandbox.ID())); !maps.Equal(got, states[1]) {
		t.Errorf("replayed files differ from the parent's at its end")
	}
}
