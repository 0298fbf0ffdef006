package daytona_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
)

var _ sandbox.Provider = (*daytona.Provider)(nil)

func TestDaytonaNeedsKey(t *testing.T) {
	_, err := daytona.NewProvider(daytona.Options{})
	if err == nil || !strings.Contains(err.Error(), "DAYTONA_API_KEY") {
		t.Fatalf("err = %v, want one telling to set DAYTONA_API_KEY", err)
	}
	_, err = daytona.NewProvider(daytona.Options{APIKey: "k", OnClose: "explode"})
	if err == nil {
		t.Fatal("unknown OnClose policy accepted")
	}
}

func TestDaytonaCreateFromSnapshot(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{
		Snapshot:          "tether-base",
		Labels:            map[string]string{"team": "blue"},
		Env:               map[string]string{"FOO": "bar"},
		AutoStopMinutes:   dtIntp(15),
		AutoDeleteMinutes: dtIntp(60),
		Network:           "off",
	})
	got, ok := srv.Sandbox(sb.ID())
	if !ok {
		t.Fatalf("server has no sandbox %s", sb.ID())
	}
	if got.Snapshot != "tether-base" || got.Dockerfile != "" {
		t.Errorf("snapshot=%q dockerfile=%q", got.Snapshot, got.Dockerfile)
	}
	want := map[string]string{"team": "blue", sandbox.LabelCreatedBy: sandbox.CreatedByTether, sandbox.LabelRunID: sandbox.RunID()}
	for k, v := range want {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (all: %v)", k, got.Labels[k], v, got.Labels)
		}
	}
	if got.Labels[sandbox.LabelPID] == "" || got.Labels[sandbox.LabelHost] == "" {
		t.Errorf("pid/host labels missing: %v", got.Labels)
	}
	if got.Env["FOO"] != "bar" {
		t.Errorf("env = %v", got.Env)
	}
	if got.AutoStopInterval == nil || *got.AutoStopInterval != 15 || got.AutoDeleteInterval == nil || *got.AutoDeleteInterval != 60 {
		t.Errorf("intervals stop=%v delete=%v", got.AutoStopInterval, got.AutoDeleteInterval)
	}
	if !got.NetworkBlockAll {
		t.Error("network off did not set networkBlockAll")
	}
	if got.CPU != 0 || got.MemoryGB != 0 || got.DiskGB != 0 {
		t.Errorf("resources sent for a snapshot: %d/%d/%d", got.CPU, got.MemoryGB, got.DiskGB)
	}
	if sb.WorkDir() != got.Dir {
		t.Errorf("WorkDir = %q, want the toolbox's %q", sb.WorkDir(), got.Dir)
	}

	info, err := sb.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != sb.ID() || info.Provider != "daytona" || info.State != sandbox.StateStarted ||
		info.Snapshot != "tether-base" || info.Labels["team"] != "blue" || info.WorkDir != got.Dir || info.CreatedAt.IsZero() {
		t.Errorf("Info = %+v", info)
	}
}

func TestDaytonaCreateFromImage(t *testing.T) {
	srv, p := dtFake(t, func(o *daytona.Options) { o.Target = "eu" })
	sb := dtCreate(t, p, sandbox.Spec{Image: "python:3.12-slim", CPU: 2, MemoryGB: 4, DiskGB: 8, Ephemeral: true})
	got, _ := srv.Sandbox(sb.ID())
	if got.Dockerfile != "FROM python:3.12-slim" || got.Snapshot != "" {
		t.Errorf("dockerfile=%q snapshot=%q", got.Dockerfile, got.Snapshot)
	}
	if got.CPU != 2 || got.MemoryGB != 4 || got.DiskGB != 8 {
		t.Errorf("resources = %d/%d/%d, want 2/4/8", got.CPU, got.MemoryGB, got.DiskGB)
	}
	if got.AutoDeleteInterval == nil || *got.AutoDeleteInterval != 0 {
		t.Errorf("ephemeral: autoDelete = %v, want 0", got.AutoDeleteInterval)
	}
	if got.Target != "eu" {
		t.Errorf("target = %q, want eu", got.Target)
	}
	if got.Labels[sandbox.LabelCreatedBy] != sandbox.CreatedByTether {
		t.Errorf("labels = %v", got.Labels)
	}
	info, err := sb.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Image != "python:3.12-slim" || info.CPU != 2 || info.MemoryGB != 4 || info.DiskGB != 8 || info.Target != "eu" {
		t.Errorf("Info = %+v", info)
	}
}

func TestDaytonaCreateDefaultsAndBadSpecs(t *testing.T) {
	srv, p := dtFake(t, func(o *daytona.Options) { o.Snapshot = "default-snap"; o.AutoStopMinutes = dtIntp(30) })
	sb := dtCreate(t, p, sandbox.Spec{})
	got, _ := srv.Sandbox(sb.ID())
	if got.Snapshot != "default-snap" || got.AutoStopInterval == nil || *got.AutoStopInterval != 30 {
		t.Errorf("defaults not applied: snapshot=%q autostop=%v", got.Snapshot, got.AutoStopInterval)
	}
	for name, spec := range map[string]sandbox.Spec{
		"resources with snapshot": {Snapshot: "s", CPU: 2},
		"bad network":             {Network: "sometimes"},
		"bad env name":            {Env: map[string]string{"A B": "x"}},
		"negative minutes":        {AutoStopMinutes: dtIntp(-1)},
	} {
		before := srv.CountRequests("POST", "/api/sandbox")
		if _, err := p.Create(context.Background(), spec); err == nil {
			t.Errorf("%s: no error", name)
		}
		if srv.CountRequests("POST", "/api/sandbox") != before {
			t.Errorf("%s: a create was sent for a bad spec", name)
		}
	}
}

func TestDaytonaOnStateAndWait(t *testing.T) {
	srv, p := dtFake(t)
	srv.SetCreateDelay(400 * time.Millisecond)
	var mu sync.Mutex
	var states []string
	sb := dtCreate(t, p, sandbox.Spec{OnState: func(s string) { mu.Lock(); states = append(states, s); mu.Unlock() }})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(states, []string{"creating", "started"}) {
		t.Errorf("states = %v, want [creating started]", states)
	}
	// Commands work right after Create returned.
	if res, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "echo hi"}); res.ExitCode != 0 || out != "hi\n" {
		t.Errorf("exec after create: %+v %q", res, out)
	}
}

func TestDaytonaCreateTimeoutDeletesSandbox(t *testing.T) {
	srv, p := dtFake(t)
	srv.SetCreateDelay(time.Hour)
	start := time.Now()
	_, err := p.Create(context.Background(), sandbox.Spec{CreateTimeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("create did not time out")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not start within") {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("create took %s to time out", time.Since(start))
	}
	if live := srv.Live(); len(live) != 0 {
		t.Errorf("half-made sandboxes left: %v", live)
	}
	if len(srv.Sandboxes()) != 1 {
		t.Errorf("server saw %d creates, want 1", len(srv.Sandboxes()))
	}
}

func TestDaytonaCreateLostAnswerDeletes(t *testing.T) {
	srv, p := dtFake(t)
	srv.FailNextAfterHandling("POST", "/api/sandbox", 502, 1)
	_, err := p.Create(context.Background(), sandbox.Spec{})
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v, want the 502", err)
	}
	if len(srv.Sandboxes()) != 1 {
		t.Fatalf("the create did not reach the fake")
	}
	if live := srv.Live(); len(live) != 0 {
		t.Errorf("sandbox made by a create whose answer was lost is left: %v", live)
	}
}

func TestDaytonaCreateErrorStateDeletes(t *testing.T) {
	srv, p := dtFake(t)
	srv.SetCreateDelay(time.Hour)
	go func() {
		for range 200 {
			if ids := srv.Live(); len(ids) == 1 {
				srv.SetState(ids[0], "build_failed")
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err := p.Create(context.Background(), sandbox.Spec{Image: "broken:latest"})
	if err == nil || !strings.Contains(err.Error(), "build_failed") {
		t.Fatalf("err = %v, want one naming the build_failed state", err)
	}
	if live := srv.Live(); len(live) != 0 {
		t.Errorf("failed sandbox left: %v", live)
	}
}

func TestDaytonaRateLimitRetried(t *testing.T) {
	srv, p := dtFake(t)
	srv.FailNext("POST", "/api/sandbox", 429, 2)
	sb := dtCreate(t, p, sandbox.Spec{})
	if n := srv.CountRequests("POST", "/api/sandbox"); n != 3 {
		t.Errorf("create requests = %d, want 3 (two 429s, then success)", n)
	}
	srv.FailNext("GET", "/api/sandbox/paginated", 429, 1)
	list, err := p.List(context.Background(), nil)
	if err != nil || len(list) != 1 {
		t.Fatalf("List after 429 = %v, %v", list, err)
	}
	srv.FailNext("DELETE", "/api/sandbox/", 429, 1)
	if err := p.Delete(context.Background(), sb.ID()); err != nil {
		t.Fatalf("Delete after 429: %v", err)
	}
	if len(srv.Live()) != 0 {
		t.Error("sandbox not deleted")
	}
	// Bounded: a server that always says 429 gives a clear error.
	srv.FailNext("POST", "/api/sandbox", 429, 100)
	_, err = p.Create(context.Background(), sandbox.Spec{})
	if err == nil || !strings.Contains(err.Error(), "rate limited") {
		t.Errorf("err = %v, want a rate-limit error", err)
	}
	if !errors.Is(err, sandbox.ErrRateLimited) {
		t.Errorf("a 429 must match sandbox.ErrRateLimited so callers can back off: %v", err)
	}
	if n := srv.CountRequests("POST", "/api/sandbox"); n != 3+5 {
		t.Errorf("create requests = %d, want 8 (retries are bounded at 5)", n)
	}
}

func TestDaytonaBadKey(t *testing.T) {
	srv := daytonatest.NewServer(t, daytonatest.WithAPIKey("the-right-key"))
	p, err := daytona.NewProvider(daytona.Options{APIKey: dtTestKey, APIURL: srv.URL, Logger: dtLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Create(context.Background(), sandbox.Spec{})
	_, err2 := p.List(context.Background(), nil)
	err3 := p.Delete(context.Background(), "sb-x")
	for _, e := range []error{err, err2, err3} {
		if e == nil {
			t.Fatal("no error with a wrong key")
		}
		if !strings.Contains(e.Error(), "DAYTONA_API_KEY") || strings.Contains(e.Error(), dtTestKey) {
			t.Errorf("err = %q: want a hint to check DAYTONA_API_KEY and no key", e)
		}
	}
}

func TestDaytonaDeleteIdempotent(t *testing.T) {
	srv, p := dtFake(t)
	if err := p.Delete(context.Background(), "sb-does-not-exist"); err != nil {
		t.Errorf("deleting a missing sandbox: %v", err)
	}
	sb := dtCreate(t, p, sandbox.Spec{})
	for range 2 {
		if err := p.Delete(context.Background(), sb.ID()); err != nil {
			t.Errorf("Delete: %v", err)
		}
	}
	if len(srv.Live()) != 0 {
		t.Error("sandbox still live")
	}
	if err := p.Delete(context.Background(), ""); err == nil {
		t.Error("empty id accepted")
	}
}

func TestDaytonaListPaging(t *testing.T) {
	// 233 sandboxes: the control plane alone (a daemon each would be 233
	// daemons for a test of paging).
	srv, p := dtControlPlane(t)
	const n = 230 // three pages of 100
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n + 3 {
		labels := map[string]string{"batch": "a"}
		if i >= n {
			labels = map[string]string{"batch": "b"}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := p.Create(context.Background(), sandbox.Spec{Labels: labels}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	before := srv.CountRequests("GET", "/api/sandbox/paginated")
	list, err := p.List(context.Background(), map[string]string{"batch": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("List = %d sandboxes, want %d", len(list), n)
	}
	seen := map[string]bool{}
	for _, in := range list {
		if seen[in.ID] || in.Labels["batch"] != "a" || in.Labels[sandbox.LabelCreatedBy] != sandbox.CreatedByTether || in.CreatedAt.IsZero() {
			t.Fatalf("bad or duplicate item %+v", in)
		}
		seen[in.ID] = true
	}
	if pages := srv.CountRequests("GET", "/api/sandbox/paginated") - before; pages != 3 {
		t.Errorf("pages fetched = %d, want 3", pages)
	}
	mine, err := p.List(context.Background(), map[string]string{sandbox.LabelRunID: sandbox.RunID()})
	if err != nil || len(mine) != n+3 {
		t.Errorf("List by run id = %d, %v; want %d", len(mine), err, n+3)
	}
	for _, in := range mine {
		if err := p.Delete(context.Background(), in.ID); err != nil {
			t.Fatal(err)
		}
	}
	if len(srv.Live()) != 0 {
		t.Errorf("%d left", len(srv.Live()))
	}
}

func TestDaytonaClose(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	if err := sb.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if len(srv.Live()) != 0 {
		t.Error("Close did not delete")
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Exec after Close: %v, want ErrClosed", err)
	}

	srv2, p2 := dtFake(t, func(o *daytona.Options) { o.OnClose = "stop" })
	sb2 := dtCreate(t, p2, sandbox.Spec{})
	if err := sb2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := srv2.Sandbox(sb2.ID())
	if got.State != "stopped" || got.Deleted {
		t.Errorf("stop policy: state=%s deleted=%v", got.State, got.Deleted)
	}
}

func TestDaytonaConcurrentCloseOnce(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = sb.Close(context.Background()) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := srv.CountRequests("DELETE", "/api/sandbox/"+sb.ID()); n != 1 {
		t.Errorf("delete requests = %d, want 1", n)
	}
}

func TestDaytonaOpenAttachesToExisting(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	ctx := context.Background()
	if err := sb.WriteFile(ctx, "note.txt", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	opened, err := p.Open(ctx, sb.ID())
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ := dtExec(t, opened, sandbox.ExecRequest{Command: "cat note.txt"})
	if out != "kept" {
		t.Errorf("exec in opened sandbox printed %q", out)
	}
	if _, err := p.Open(ctx, "no-such-sandbox"); err == nil {
		t.Error("opening a missing sandbox must fail")
	}
	if err := opened.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if live := srv.Live(); len(live) != 0 {
		t.Errorf("closing the opened sandbox must delete it; live: %v", live)
	}
}

func TestDaytonaSetLabelsKeepsTetherLabels(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{Labels: map[string]string{"team": "a"}})
	ls, ok := sb.(interface {
		SetLabels(context.Context, map[string]string) error
	})
	if !ok {
		t.Fatal("daytona sandboxes must support SetLabels")
	}
	if err := ls.SetLabels(context.Background(), map[string]string{"tether-kept": "true"}); err != nil {
		t.Fatal(err)
	}
	fake, _ := srv.Sandbox(sb.ID())
	if fake.Labels["tether-kept"] != "true" || fake.Labels["team"] != "a" || fake.Labels[sandbox.LabelCreatedBy] != sandbox.CreatedByTether {
		t.Errorf("labels on the server = %v", fake.Labels)
	}
}
