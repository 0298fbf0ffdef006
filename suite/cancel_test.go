package suite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// daytonaFake is a fake Daytona control plane whose sandboxes run on the
// real toolbox daemon (the test skips where it cannot run).
func daytonaFake(t testing.TB) (*daytonatest.Server, *daytona.Provider) {
	t.Helper()
	env := realdaemon.New(t)
	p, err := env.NewProvider(daytona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return env.Server, p
}

func TestCancelMidSuiteLeavesNoSandboxes(t *testing.T) {
	srv, p := daytonaFake(t)
	var b strings.Builder
	b.WriteString("[defaults.sandbox]\nprovider = \"daytona\"\n[matrix]\nruns = 12\n")
	b.WriteString("[[case]]\nname = \"slow\"\nprompt = \"sleep 30\"\n")
	s, err := Load(writeSuite(t, b.String(), nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := make(chan struct{}, 100)
	reg := sandbox.NewRegistry()
	type out struct {
		rep *Report
		err error
	}
	done := make(chan out, 1)
	go func() {
		rep, err := Run(ctx, s, RunOptions{Concurrency: 4, Providers: providers(p), Models: models, DefaultModel: "m",
			Registry: reg, KeepFailed: true,
			OnUpdate: func(st CaseStatus) {
				if st.State == StateRunning && st.Steps > 0 {
					select {
					case running <- struct{}{}:
					default:
					}
				}
			}})
		done <- out{rep, err}
	}()
	// Wait until at least two agents are inside their `sleep 30`.
	for range 2 {
		select {
		case <-running:
		case <-time.After(30 * time.Second):
			t.Fatal("no case started running")
		}
	}
	if len(srv.Live()) == 0 {
		t.Fatal("no live sandbox before cancelling")
	}
	start := time.Now()
	cancel()
	var o out
	select {
	case o = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20s of cancel")
	}
	t.Logf("Run returned %s after cancel", time.Since(start).Round(time.Millisecond))
	if !errors.Is(o.err, context.Canceled) || o.rep == nil || !o.rep.Interrupted {
		t.Fatalf("err = %v, report %v", o.err, o.rep != nil)
	}
	if live := srv.Live(); len(live) != 0 {
		t.Errorf("sandboxes left on the fake Daytona: %v", live)
	}
	if reg.Len() != 0 {
		t.Errorf("registry still tracks %d", reg.Len())
	}
	cancelled := 0
	for _, c := range o.rep.Cases {
		if c.Kept {
			t.Errorf("%s kept although the run was interrupted", c.ID)
		}
		if c.Status == StateCancelled {
			cancelled++
		}
	}
	if cancelled != len(o.rep.Cases) || !o.rep.Failed() {
		t.Errorf("%d of %d cancelled; Failed %v", cancelled, len(o.rep.Cases), o.rep.Failed())
	}
}

func TestKeepFailedKeepsOnlyFailedSandboxes(t *testing.T) {
	local := newLocalProvider(t)
	s, err := Load(writeSuite(t, `
name = "keep"
[[case]]
name = "good"
prompt = "true"
[[case]]
name = "bad"
prompt = "true"
[[case.checks]]
file = "missing"
`, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	reg := sandbox.NewRegistry()
	rep, err := Run(context.Background(), s, RunOptions{KeepFailed: true, Providers: providers(local), Models: models,
		DefaultModel: "m", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := resultByName(t, rep, "good"), resultByName(t, rep, "bad")
	if good.Kept || !bad.Kept || bad.Status != StateFailed {
		t.Fatalf("good kept=%v; bad kept=%v status %s", good.Kept, bad.Kept, bad.Status)
	}
	if reg.Len() != 0 {
		t.Errorf("a kept sandbox is still tracked for teardown (%d)", reg.Len())
	}
	left, err := local.List(context.Background(), map[string]string{LabelSuite: "keep"})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != bad.SandboxID || left[0].Labels[LabelCase] != "bad" {
		t.Fatalf("sandboxes left = %+v; want only %s", left, bad.SandboxID)
	}
	if left[0].Labels[LabelKept] != "true" {
		t.Errorf("a kept sandbox must say so for `tether cleanup --all`: labels %v", left[0].Labels)
	}
	if err := local.Delete(context.Background(), bad.SandboxID); err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutEndsTheAgentRun(t *testing.T) {
	s, err := Load(writeSuite(t, `
[[case]]
name = "slow"
prompt = "sleep 20"
[case.limits]
timeout = "1s"
`, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	start := time.Now()
	rep, err := Run(context.Background(), s, RunOptions{Providers: providers(newLocalProvider(t)), Models: models, DefaultModel: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s", d)
	}
	c := rep.Cases[0]
	if c.Status != StateFailed || !strings.Contains(c.AgentReason, "timed out after 1s") || !strings.Contains(c.Reason, "expected status finished") {
		t.Errorf("case = %s (%s); agent %s (%s)", c.Status, c.Reason, c.AgentStatus, c.AgentReason)
	}
}

func TestRunErrorsWithoutProvidersOrModel(t *testing.T) {
	s, err := Load(writeSuite(t, "[[case]]\nname = \"a\"\nprompt = \"true\"\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), s, RunOptions{}); err == nil {
		t.Error("Run without Providers/Models succeeded")
	}
	_, models := shellModel(t)
	cp := &countingProvider{Provider: newLocalProvider(t)}
	rep, err := Run(context.Background(), s, RunOptions{Providers: providers(cp), Models: models})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Cases[0]; c.Status != StateError || !strings.Contains(c.Reason, "no model") || cp.created.Load() != 0 {
		t.Errorf("case without a model: %s %q (%d sandboxes created)", c.Status, c.Reason, cp.created.Load())
	}
	failing := func(string) (sandbox.Provider, error) { return nil, errors.New("daytona: no API key") }
	rep, err = Run(context.Background(), s, RunOptions{Providers: failing, Models: models, DefaultModel: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Cases[0]; c.Status != StateError || !strings.Contains(c.Reason, "no API key") {
		t.Errorf("case without a provider: %s %q", c.Status, c.Reason)
	}
}

// The Daytona provider retries a 429 a few times itself; when it gives up,
// Run must recognise its error as a rate limit and back off, not fail.
func TestDaytonaRateLimitIsRecognised(t *testing.T) {
	srv, p := daytonaFake(t)
	srv.FailNext("POST", "/api/sandbox", 429, 5)
	_, err := p.Create(context.Background(), sandbox.Spec{})
	if err == nil {
		t.Fatal("Create succeeded through five 429s; the test needs the provider to give up")
	}
	if limited, _ := rateLimitInfo(err); !limited {
		t.Fatalf("not recognised as a rate limit: %v", err)
	}

	srv.FailNext("POST", "/api/sandbox", 429, 12)
	s, err := Load(writeSuite(t, "[matrix]\nruns = 3\n[[case]]\nname = \"a\"\nprompt = \"true\"\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	rep, err := Run(context.Background(), s, RunOptions{Concurrency: 3, Providers: providers(p), Models: models,
		DefaultModel: "m", backoffBase: 5 * time.Millisecond, backoffCap: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Cases {
		if c.Status != StatePassed {
			t.Errorf("%s: %s %s", c.ID, c.Status, c.Reason)
		}
	}
	if live := srv.Live(); len(live) != 0 {
		t.Errorf("left: %v", live)
	}
}
