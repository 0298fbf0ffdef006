package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EModelSwitchSurvivesResume switches the model with ctrl+o in the
// UI, quits, and goes on with the recording: headless, the next request
// goes to the switched-to model (not LLM_MODEL); in the UI with --model,
// the status bar shows the model named.
func TestE2EModelSwitchSurvivesResume(t *testing.T) {
	e := newEnv(t, "local-none", withLLMServer(llmtest.WithModels("fake-model", "other-model")))
	e.llm.Enqueue(llmtest.TextReply("answer one"), llmtest.TextReply("answer two"), llmtest.TextReply("answer three"))
	u := e.startTUI()
	u.waitScreen("started", 30*time.Second)
	u.typeLine("one")
	u.waitScreen("answer one", 30*time.Second)
	u.keys("C-o")
	u.waitScreen("other-model", 10*time.Second) // the endpoint's list
	u.typeLine("other-model")
	u.waitScreen("fake-model → other-model", 10*time.Second)
	u.typeLine("two")
	u.waitScreen("answer two", 30*time.Second)
	u.keys("C-q")
	u.waitExit(30 * time.Second)
	reqs := e.llm.Requests()
	if len(reqs) != 2 || reqs[1].Model != "other-model" {
		t.Fatalf("before resume: %d requests, last to %q", len(reqs), reqs[len(reqs)-1].Model)
	}
	recs, _ := filepath.Glob(filepath.Join(e.recordDir(), "*.jsonl"))
	if len(recs) != 1 {
		t.Fatalf("recordings %v, want one", recs)
	}

	out, stderr, code := e.run(60*time.Second, "run", "--resume", recs[0], "--json", "three")
	if code != 0 {
		t.Fatalf("run --resume: exit %d\n%s\n%s", code, out, stderr)
	}
	reqs = e.llm.Requests()
	if got := reqs[len(reqs)-1].Model; got != "other-model" {
		t.Fatalf("the request after resume went to %q, want other-model (the recorded switch)", got)
	}

	// --model names one anyway: it is kept, and the status bar says so.
	u = e.startTUI("resume", recs[0], "--model", "fake-model")
	u.waitScreen("other-model → fake-model", 30*time.Second)
	bar := u.screen()
	lines := strings.Split(strings.TrimRight(bar, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "fake-model") || strings.Contains(last, "other-model") {
		t.Errorf("status bar after resume --model fake-model: %q", last)
	}
	u.keys("C-q")
	u.waitExit(30 * time.Second)
	e.assertNoLeaks("model-switch-resume")
}
