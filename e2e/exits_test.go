package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

var providers = []string{"local", "daytona"}

// allProviders adds the local provider without bubblewrap.
var allProviders = []string{"local", "local-none", "daytona"}

// TestE2EExits runs `tether run` to each way out, for each provider, and
// checks that nothing is left: no sandbox, no sandbox process, a sensible
// exit code and message, and no Go crash trace.
func TestE2EExits(t *testing.T) {
	for _, prov := range allProviders {
		t.Run(prov, func(t *testing.T) {
			t.Parallel()
			t.Run("normal", func(t *testing.T) { t.Parallel(); exitNormal(t, prov) })
			t.Run("error500", func(t *testing.T) { t.Parallel(); exitError500(t, prov) })
			t.Run("error401", func(t *testing.T) { t.Parallel(); exitError401(t, prov) })
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
				t.Run(sigName(sig), func(t *testing.T) { t.Parallel(); exitSignal(t, prov, sig) })
			}
		})
	}
	t.Run("daytona/deletefails", func(t *testing.T) { t.Parallel(); exitDeleteFails(t) })
	t.Run("daytona/createtimeout", func(t *testing.T) { t.Parallel(); exitCreateTimeout(t) })
	t.Run("daytona/sigint-while-creating", func(t *testing.T) { t.Parallel(); exitSignalWhileCreating(t) })
	for _, prov := range providers {
		t.Run(prov+"/run-timeout", func(t *testing.T) { t.Parallel(); exitRunTimeout(t, prov) })
	}
}

// exitSignalWhileCreating: Ctrl+C while Daytona is still creating the
// sandbox. The sandbox being made must not be left behind.
func exitSignalWhileCreating(t *testing.T) {
	e := newEnv(t, "daytona")
	e.day.SetCreateDelay(3 * time.Second)
	p := e.start("run", "hello")
	deadline := time.Now().Add(20 * time.Second)
	for e.day.CountRequests("POST", "/api/sandbox") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no create request\nstderr:\n%s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the create call has returned; the sandbox is "creating"
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	code := p.wait(t, 30*time.Second)
	stderr := p.stderr.String()
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks("daytona/sigint-while-creating")
}

// exitRunTimeout: `tether run --timeout` ends a run whose command sleeps.
func exitRunTimeout(t *testing.T, prov string) {
	e := newEnv(t, prov)
	e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
	_, stderr, code := e.run(30*time.Second, "run", "--timeout", "2s", "sleep a long time")
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "started") {
		t.Errorf("the command never ran:\n%s", stderr)
	}
	if !strings.Contains(strings.ToLower(stderr), "timed out") && !strings.Contains(stderr, "deadline") {
		t.Errorf("stderr does not say the run timed out:\n%s", stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks(prov + "/run-timeout")
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "sigint"
	case syscall.SIGTERM:
		return "sigterm"
	case syscall.SIGHUP:
		return "sighup"
	}
	return s.String()
}

func exitNormal(t *testing.T, prov string) {
	e := newEnv(t, prov)
	e.llm.Enqueue(llmtest.ToolReply(e.backgroundCall()), llmtest.TextReply("all done"))
	out, stderr, code := e.run(60*time.Second, "run", "--json", "--events", "start it")
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "bg-started") {
		t.Errorf("the background command never ran: no bg-started in the events\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res struct {
		Status       string `json:"status"`
		FinalMessage string `json:"final_message"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, out)
	}
	if res.Status != "finished" || !strings.Contains(out, "all done") {
		t.Errorf("result %+v, want finished with the model's last words\n%s", res, out)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks(prov + "/normal")
}

func exitError500(t *testing.T, prov string) {
	e := newEnv(t, prov)
	e.llm.Enqueue(llmtest.ToolReply(e.backgroundCall()))
	e.llm.SetHandler(func(llmtest.ChatRequest) llmtest.Reply { return llmtest.ErrorReply(500) })
	_, stderr, code := e.run(60*time.Second, "run", "start it")
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "bg-started") {
		t.Errorf("the background command never ran:\n%s", stderr)
	}
	if !strings.Contains(stderr, "500") && !strings.Contains(strings.ToLower(stderr), "server") {
		t.Errorf("stderr does not say the model server failed:\n%s", stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks(prov + "/error500")
}

func exitError401(t *testing.T, prov string) {
	e := newEnv(t, prov, withLLMServerKey("sk-right-key-0000"), withKeys("sk-wrong-key-1111", ""))
	_, stderr, code := e.run(60*time.Second, "run", "start it")
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(strings.ToLower(stderr), "key") {
		t.Errorf("stderr does not point at the API key:\n%s", stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks(prov + "/error401")
}

// exitSignal interrupts a run while its command sleeps, as Ctrl+C, a
// service manager (SIGTERM) or a closed terminal (SIGHUP) would.
func exitSignal(t *testing.T, prov string, sig syscall.Signal) {
	e := newEnv(t, prov)
	e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
	p := e.start("run", "sleep a long time")
	e.waitMarked(p, 30*time.Second)
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	code := p.wait(t, 30*time.Second)
	stderr := p.stderr.String()
	if code != 1 {
		t.Errorf("exit %d after %v, want 1\nstderr:\n%s", code, sig, stderr)
	}
	if !strings.Contains(stderr, "cancelled") {
		t.Errorf("stderr does not say the run was cancelled:\n%s", stderr)
	}
	if want := map[syscall.Signal]string{syscall.SIGINT: "interrupt", syscall.SIGTERM: "terminated", syscall.SIGHUP: "hangup"}[sig]; !strings.Contains(stderr, "stopped: "+want) {
		t.Errorf("stderr does not say which signal stopped the run (%q):\n%s", want, stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks(prov + "/" + sigName(sig))
}

// exitDeleteFails: Daytona refuses the delete on the way out. tether must
// say so and point at `tether cleanup`, which then removes the sandbox.
func exitDeleteFails(t *testing.T) {
	e := newEnv(t, "daytona")
	e.day.FailNext("DELETE", "/api/sandbox/", 500, 1000)
	e.llm.Enqueue(llmtest.ToolReply(e.backgroundCall()), llmtest.TextReply("all done"))
	_, stderr, code := e.run(60*time.Second, "run", "start it")
	if code != 1 {
		t.Errorf("exit %d with the delete failing, want 1\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "tether cleanup") {
		t.Errorf("stderr does not point at `tether cleanup`:\n%s", stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	drainFaults(t, e)
	live := e.day.Live()
	if len(live) != 1 {
		t.Fatalf("live sandboxes after the failed delete: %v, want exactly the run's one", live)
	}
	out, stderr, code := e.run(30*time.Second, "cleanup")
	if code != 0 || !strings.Contains(out, live[0]) {
		t.Errorf("`tether cleanup` (exit %d) does not list %s:\n%s\n%s", code, live[0], out, stderr)
	}
	if len(e.day.Live()) != 1 {
		t.Errorf("`tether cleanup` without --yes deleted something")
	}
	out, stderr, code = e.run(30*time.Second, "cleanup", "--yes")
	if code != 0 || !strings.Contains(out, "deleted "+live[0]) {
		t.Errorf("`tether cleanup --yes` (exit %d):\n%s\n%s", code, out, stderr)
	}
	e.assertNoLeaks("daytona/deletefails+cleanup")
}

// drainFaults uses up the injected DELETE failures tether did not consume,
// with deletes of a sandbox that does not exist.
func drainFaults(t *testing.T, e *e2eEnv) {
	t.Helper()
	for range 2000 {
		req, _ := http.NewRequest("DELETE", e.day.URL+"/sandbox/no-such-sandbox", nil)
		req.Header.Set("Authorization", "Bearer "+e.dayKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 500 {
			return
		}
	}
	t.Fatal("could not drain the injected faults")
}

// exitCreateTimeout: the sandbox never becomes ready within DAYTONA_TIMEOUT.
// The half-made sandbox must not be left behind.
func exitCreateTimeout(t *testing.T) {
	e := newEnv(t, "daytona")
	e.day.SetCreateDelay(8 * time.Second)
	e.extra["DAYTONA_TIMEOUT"] = "1"
	_, stderr, code := e.run(60*time.Second, "run", "start it")
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(strings.ToLower(stderr), "time") {
		t.Errorf("stderr does not say creation timed out:\n%s", stderr)
	}
	if strings.HasPrefix(stderr, " · ") {
		t.Errorf("stderr opens with an empty run summary:\n%s", stderr)
	}
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	if n := e.day.CountRequests("POST", "/api/sandbox"); n == 0 {
		t.Errorf("no create request reached the fake Daytona")
	}
	e.assertNoLeaks("daytona/createtimeout")
}
