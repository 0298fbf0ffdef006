package suite

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
)

const checksSuite = `
name = "checks"
[defaults.sandbox]
provider = "local"

[[case]]
name = "pass"
prompt = "printf 'hello world' > hello.txt"
[[case.checks]]
file = "hello.txt"
contains = "hello"
[[case.checks]]
file = "hello.txt"
matches = '^hello \w+$'
[[case.checks]]
command = "test -s hello.txt"

[[case]]
name = "wrong-content"
prompt = "printf 'bye' > hello.txt"
[[case.checks]]
file = "hello.txt"
contains = "hello"

[[case]]
name = "missing-file"
prompt = "true"
[[case.checks]]
file = "nothere.txt"

[[case]]
name = "command-fails"
prompt = "true"
[[case.checks]]
command = "echo boom; exit 4"

[[case]]
name = "setup-fails"
prompt = "touch should-not-run"
[case.setup]
files = [{ path = "data/in.txt", content = "x" }]
commands = ["test -f data/in.txt", "echo setup-broke >&2; exit 3"]

[[case]]
name = "uses-setup"
prompt = "cat data/in.txt > out.txt"
[case.setup]
files = [{ path = "data/in.txt", content = "from setup" }]
commands = ["test -f data/in.txt"]
[[case.checks]]
file = "out.txt"
contains = "from setup"

[[case]]
name = "expects-other-status"
prompt = "true"
[[case.checks]]
status = "error"
`

func runChecksSuite(t *testing.T) (*Report, *statusLog, *countingProvider, *llmtest.Server) {
	t.Helper()
	s, err := Load(writeSuite(t, checksSuite, nil))
	if err != nil {
		t.Fatal(err)
	}
	local := newLocalProvider(t)
	cp := &countingProvider{Provider: local}
	srv, models := shellModel(t)
	log := &statusLog{}
	reg := sandbox.NewRegistry()
	rep, err := Run(context.Background(), s, RunOptions{
		Concurrency: 3, Providers: providers(cp), Models: models, DefaultModel: "fake-model",
		RecordDir: t.TempDir(), OnUpdate: log.add, Registry: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Len() != 0 {
		t.Errorf("registry still tracks %d sandboxes", reg.Len())
	}
	left, err := local.List(context.Background(), map[string]string{LabelSuite: "checks"})
	if err != nil || len(left) != 0 {
		t.Errorf("sandboxes left behind: %v (err %v)", left, err)
	}
	return rep, log, cp, srv
}

func TestRunChecksPassAndFail(t *testing.T) {
	rep, log, cp, srv := runChecksSuite(t)
	want := map[string]CaseState{
		"pass": StatePassed, "wrong-content": StateFailed, "missing-file": StateFailed,
		"command-fails": StateFailed, "setup-fails": StateError, "uses-setup": StatePassed,
		"expects-other-status": StateFailed,
	}
	for name, st := range want {
		c := resultByName(t, rep, name)
		if c.Status != st {
			t.Errorf("%s: status %s (%s); want %s", name, c.Status, c.Reason, st)
		}
	}
	pass := resultByName(t, rep, "pass")
	if len(pass.Checks) != 4 || pass.Steps != 2 || pass.LLMCalls != 2 || pass.AgentStatus != "finished" || pass.SandboxID == "" {
		t.Errorf("pass = %+v", pass)
	}
	if pass.RecordPath == "" {
		t.Error("no recording path")
	} else if _, err := os.Stat(pass.RecordPath); err != nil {
		t.Errorf("recording: %v", err)
	}
	for name, want := range map[string][]string{
		"wrong-content":        {"does not contain", `"bye"`},
		"missing-file":         {"nothere.txt does not exist"},
		"command-fails":        {"exited 4", "boom"},
		"setup-fails":          {"setup command 2", "exited 3", "setup-broke"},
		"expects-other-status": {"expected status error", "finished"},
	} {
		c := resultByName(t, rep, name)
		for _, w := range want {
			if !strings.Contains(c.Reason, w) {
				t.Errorf("%s: reason %q does not mention %q", name, c.Reason, w)
			}
		}
	}
	if c := resultByName(t, rep, "setup-fails"); c.AgentStatus != "" || c.LLMCalls != 0 || len(c.Checks) != 0 {
		t.Errorf("the agent ran although setup failed: %+v", c)
	}
	for _, req := range srv.Requests() {
		for _, m := range req.Messages {
			if strings.Contains(m.Content, "should-not-run") {
				t.Fatal("the model was sent the prompt of a case whose setup failed")
			}
		}
	}
	if !rep.Failed() {
		t.Error("Failed() = false")
	}
	tot := rep.Totals
	if tot.Cases != 7 || tot.Passed != 2 || tot.Failed != 4 || tot.Errors != 1 || tot.PromptTokens == 0 {
		t.Errorf("totals = %+v", tot)
	}
	if tot.DurationMax <= 0 || tot.DurationP50 > tot.DurationP90 || tot.DurationP90 > tot.DurationMax {
		t.Errorf("percentiles = %v %v %v", tot.DurationP50, tot.DurationP90, tot.DurationMax)
	}
	if cp.created.Load() != 7 || cp.live.Load() != 0 {
		t.Errorf("created %d, live %d", cp.created.Load(), cp.live.Load())
	}
	// Progress updates: each case queued first, done last, in order.
	byID := map[string][]CaseStatus{}
	for _, st := range log.snapshot() {
		byID[st.ID] = append(byID[st.ID], st)
	}
	for id, sts := range byID {
		if sts[0].State != StateQueued || !sts[len(sts)-1].State.Done() || sts[len(sts)-1].Result == nil {
			t.Errorf("%s: updates from %s to %s", id, sts[0].State, sts[len(sts)-1].State)
		}
		for _, st := range sts[:len(sts)-1] {
			if st.State.Done() {
				t.Errorf("%s: an update after the final one", id)
			}
		}
	}
	sawAction := false
	for _, st := range byID["pass"] {
		if st.State == StateRunning && st.Steps >= 1 && strings.Contains(st.LastAction, "hello.txt") && st.SandboxID != "" {
			sawAction = true
		}
	}
	if !sawAction {
		t.Errorf("no running update with the step and action: %+v", byID["pass"])
	}

	// A real report survives JSON and gives well-formed JUnit.
	var j1, j2, x bytes.Buffer
	if err := rep.WriteJSON(&j1); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(bytes.NewReader(j1.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := back.WriteJSON(&j2); err != nil || j1.String() != j2.String() {
		t.Errorf("JSON round trip differs (err %v)", err)
	}
	if err := rep.WriteJUnit(&x); err != nil {
		t.Fatal(err)
	}
	var parsed xSuites
	if err := xml.Unmarshal(x.Bytes(), &parsed); err != nil || parsed.Tests != "7" || parsed.Failures != "4" || parsed.Errors != "1" {
		t.Errorf("JUnit from a real run: %v %+v", err, parsed)
	}

	var sum bytes.Buffer
	if err := rep.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"CASE", "pass ", "fake-model", "4/4", "7 cases: 2 passed, 4 failed, 1 errors", "p50", "setup-broke"} {
		if !strings.Contains(sum.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, sum.String())
		}
	}
}

func TestRunConcurrencyLimitHonoured(t *testing.T) {
	var b strings.Builder
	b.WriteString("[defaults.sandbox]\nprovider = \"local\"\n")
	for i := range 10 {
		b.WriteString("[[case]]\nname = \"c" + string(rune('a'+i)) + "\"\nprompt = \"sleep 0.3\"\n")
	}
	s, err := Load(writeSuite(t, b.String(), nil))
	if err != nil {
		t.Fatal(err)
	}
	cp := &countingProvider{Provider: newLocalProvider(t)}
	_, models := shellModel(t)
	rep, err := Run(context.Background(), s, RunOptions{Concurrency: 3, Providers: providers(cp), Models: models, DefaultModel: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("cases failed: %+v", rep.Totals)
	}
	if p := cp.peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak live sandboxes = %d; want 2..3 (limit 3)", p)
	}
	if cp.live.Load() != 0 {
		t.Errorf("%d sandboxes left", cp.live.Load())
	}
}

func TestRunRateLimitSlowsDownInsteadOfFailing(t *testing.T) {
	var b strings.Builder
	for i := range 6 {
		b.WriteString("[[case]]\nname = \"r" + string(rune('a'+i)) + "\"\nprompt = \"true\"\n")
	}
	s, err := Load(writeSuite(t, b.String(), nil))
	if err != nil {
		t.Fatal(err)
	}
	cp := &countingProvider{Provider: newLocalProvider(t)}
	cp.rateLimit.Store(5)
	_, models := shellModel(t)
	log := &statusLog{}
	rep, err := Run(context.Background(), s, RunOptions{Concurrency: 4, Providers: providers(cp), Models: models,
		DefaultModel: "m", OnUpdate: log.add,
		backoffBase: 5 * time.Millisecond, backoffCap: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		for _, c := range rep.Cases {
			t.Logf("%s: %s %s", c.ID, c.Status, c.Reason)
		}
		t.Fatal("rate-limited cases failed instead of waiting")
	}
	if cp.refused.Load() != 5 || cp.created.Load() != 6 {
		t.Errorf("refused %d, created %d", cp.refused.Load(), cp.created.Load())
	}
	saw := false
	for _, st := range log.snapshot() {
		if strings.Contains(st.Detail, "rate limited") {
			saw = true
		}
	}
	if !saw {
		t.Error("no progress update said the case was rate limited")
	}
}

func TestRunRateLimitGivesUpWithAClearError(t *testing.T) {
	s, err := Load(writeSuite(t, "[[case]]\nname = \"a\"\nprompt = \"true\"\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	cp := &countingProvider{Provider: newLocalProvider(t)}
	cp.rateLimit.Store(1 << 40)
	_, models := shellModel(t)
	rep, err := Run(context.Background(), s, RunOptions{Providers: providers(cp), Models: models, DefaultModel: "m",
		backoffBase: time.Millisecond, backoffCap: 5 * time.Millisecond, rateLimitPatience: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Cases[0]
	if c.Status != StateError || !strings.Contains(c.Reason, "rate limits") || !strings.Contains(c.Reason, "-j") {
		t.Errorf("case = %s: %s", c.Status, c.Reason)
	}
}
