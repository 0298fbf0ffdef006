package daytona_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// dtForkEnv is dtFake with control-plane options (fork and snapshot
// delays), every sandbox on its own real daemon.
func dtForkEnv(t *testing.T, srvOpts []daytonatest.Option, mod ...func(*daytona.Options)) (*daytonatest.Server, *daytona.Provider) {
	t.Helper()
	env := realdaemon.New(t, append([]daytonatest.Option{daytonatest.WithAPIKey(dtTestKey)}, srvOpts...)...)
	dtEnvs.Store(env.Server, env)
	opts := daytona.Options{APIKey: dtTestKey, APIURL: env.Server.URL, Logger: dtLogger(t)}
	for _, m := range mod {
		m(&opts)
	}
	p, err := daytona.NewProvider(opts)
	if err != nil {
		t.Fatal(err)
	}
	return env.Server, p
}

// dtMakeTree fills the work dir with what a restore can get wrong: a
// binary file with NUL bytes, modes, a symlink, an empty file, nesting.
const dtMakeTree = `mkdir -p a/b/c && printf 'x\000y\377' > a/b/bin && echo hi > run.sh && chmod 750 run.sh &&
ln -s run.sh link && : > empty && head -c 300000 /dev/urandom > a/b/c/big && chmod 600 a/b/c/big`

func dtDir(t *testing.T, srv *daytonatest.Server, id string) string {
	t.Helper()
	fs, ok := srv.Sandbox(id)
	if !ok {
		t.Fatalf("the fake has no sandbox %s", id)
	}
	return fs.Dir
}

type dtStates struct {
	mu  sync.Mutex
	all []string
}

func (s *dtStates) add(st string) { s.mu.Lock(); s.all = append(s.all, st); s.mu.Unlock() }
func (s *dtStates) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.all)
}

func TestForkOfALiveSandboxCopiesEveryFileAndWaitsOutForking(t *testing.T) {
	srv, p := dtForkEnv(t, []daytonatest.Option{daytonatest.WithForkDelay(400 * time.Millisecond)})
	src := dtCreate(t, p, sandbox.Spec{})
	if res, _, errOut := dtExec(t, src, sandbox.ExecRequest{Command: dtMakeTree}); res.ExitCode != 0 {
		t.Fatalf("making the tree: exit %d: %s", res.ExitCode, errOut)
	}
	want := sandboxtest.TreeHashes(t, dtDir(t, srv, src.ID()))

	var states dtStates
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	fork, err := p.Fork(ctx, src.ID(), sandbox.Spec{OnState: states.add, Labels: map[string]string{"branch": "b1"}})
	if err != nil {
		t.Fatalf("Fork: %v", err)
	}
	t.Cleanup(func() { fork.Close(context.Background()) })
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("Fork returned after %s, before the fork left state forking", took)
	}
	if st := states.list(); len(st) < 2 || st[0] != "forking" || st[len(st)-1] != "started" {
		t.Errorf("states seen %v, want forking … started", st)
	}
	if fork.ID() == src.ID() {
		t.Fatal("the fork is the source")
	}
	if got := sandboxtest.TreeHashes(t, dtDir(t, srv, fork.ID())); !maps.Equal(got, want) {
		t.Errorf("the fork's files differ from the source's:\nfork   %v\nsource %v", got, want)
	}
	// Its own toolbox serves the copied files, and the two are apart.
	if b, err := fork.ReadFile(ctx, "a/b/bin"); err != nil || string(b) != "x\x00y\xff" {
		t.Errorf("reading a copied file in the fork: %q, %v", b, err)
	}
	if res, _, _ := dtExec(t, fork, sandbox.ExecRequest{Command: "echo fork-only > new && rm run.sh"}); res.ExitCode != 0 {
		t.Fatal("writing in the fork failed")
	}
	if got := sandboxtest.TreeHashes(t, dtDir(t, srv, src.ID())); !maps.Equal(got, want) {
		t.Errorf("a change in the fork reached the source")
	}
	fs, _ := srv.Sandbox(fork.ID())
	if fs.ForkedFrom != src.ID() || fs.Labels[sandbox.LabelRunID] != sandbox.RunID() || fs.Labels["branch"] != "b1" {
		t.Errorf("fork record: from %q, labels %v: want this run's labels on a fork of %s", fs.ForkedFrom, fs.Labels, src.ID())
	}
	if err := fork.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if live := srv.Live(); len(live) != 1 || live[0] != src.ID() {
		t.Errorf("live after closing the fork: %v, want only the source", live)
	}
}

func TestForkRefusedOrOfAStoppedSandboxFailsAndLeavesNothing(t *testing.T) {
	srv, p := dtForkEnv(t, nil)
	src := dtCreate(t, p, sandbox.Spec{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	srv.FailNext(http.MethodPost, "/api/sandbox/"+src.ID()+"/fork", http.StatusBadRequest, 1)
	if _, err := p.Fork(ctx, src.ID(), sandbox.Spec{}); err == nil || !strings.Contains(err.Error(), "fork sandbox "+src.ID()) {
		t.Errorf("refused fork: err %v, want one naming the fork of %s", err, src.ID())
	}
	if _, err := p.Fork(ctx, "sb-nosuch", sandbox.Spec{}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("fork of a missing sandbox: err %v, want not found", err)
	}
	srv.SetState(src.ID(), "stopped")
	if _, err := p.Fork(ctx, src.ID(), sandbox.Spec{}); err == nil || !strings.Contains(err.Error(), "only a started sandbox can be forked") {
		t.Errorf("fork of a stopped sandbox: err %v", err)
	}
	if live := srv.Live(); len(live) != 1 {
		t.Errorf("live after failed forks: %v, want only the source", live)
	}
}

func TestSnapshotStepsTakesDaytonaSnapshotsThatNewSandboxesStartFrom(t *testing.T) {
	srv, p := dtForkEnv(t, []daytonatest.Option{daytonatest.WithSnapshotDelay(400 * time.Millisecond)},
		func(o *daytona.Options) { o.SnapshotSteps = true })
	src := dtCreate(t, p, sandbox.Spec{})
	snap, ok := sandbox.As[sandbox.ImageSnapshotter](src)
	if !ok {
		t.Fatal("with SnapshotSteps a Daytona sandbox is no ImageSnapshotter")
	}
	if res, _, _ := dtExec(t, src, sandbox.ExecRequest{Command: dtMakeTree}); res.ExitCode != 0 {
		t.Fatal("making the tree failed")
	}
	want := sandboxtest.TreeHashes(t, dtDir(t, srv, src.ID()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := snap.SnapshotImage(ctx, "tether-test-1"); err != nil {
		t.Fatalf("SnapshotImage: %v", err)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("SnapshotImage returned after %s, before the snapshot was active", took)
	}
	// Commands run again once it is done; later changes are not in it.
	if res, _, _ := dtExec(t, src, sandbox.ExecRequest{Command: "echo later > run.sh && rm -r a"}); res.ExitCode != 0 {
		t.Fatal("changing the source after the snapshot failed")
	}
	restored := dtCreate(t, p, sandbox.Spec{Snapshot: "tether-test-1"})
	if got := sandboxtest.TreeHashes(t, dtDir(t, srv, restored.ID())); !maps.Equal(got, want) {
		t.Errorf("a sandbox made from the snapshot differs from the files at snapshot time:\ngot  %v\nwant %v", got, want)
	}

	srv.FailSnapshots(1)
	err := snap.SnapshotImage(ctx, "tether-test-2")
	if err == nil || !strings.Contains(err.Error(), `state "error"`) || !strings.Contains(err.Error(), "could not be taken") {
		t.Errorf("failed snapshot: err %v, want the error state and reason", err)
	}
	if _, err := p.Create(ctx, sandbox.Spec{Snapshot: "tether-test-2"}); err == nil {
		t.Error("created a sandbox from a snapshot that failed")
	}
}

func TestWithoutSnapshotStepsADaytonaSandboxTakesNoSnapshots(t *testing.T) {
	_, p := dtForkEnv(t, nil)
	sb := dtCreate(t, p, sandbox.Spec{})
	if _, ok := sandbox.As[sandbox.ImageSnapshotter](sb); ok {
		t.Error("a Daytona sandbox offers billed snapshots without snapshot_steps")
	}
	if _, ok := sandbox.As[sandbox.Terminal](sb); !ok {
		t.Error("no Terminal")
	}
}
