package ui

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

func colourOptions(eng *fakeEngine) Model {
	o := testOptions()
	o.NoColor = false
	return New(eng, o)
}

// TestGoldenMarkdown: the assistant's markdown rendered (heading, list,
// emphasis, inline code, a highlighted Go block), styles kept.
func TestGoldenMarkdown(t *testing.T) {
	runGoldenStyled(t, colourOptions, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(
			evSandbox("started"),
			uitest.User("why does the build fail?"),
			uitest.State(session.StateIdle, session.StateRunning, ""),
			uitest.Assistant("## Cause\n\nTwo packages import **each other**; `go vet` says so too.\n\n"+
				"- move the shared type to `internal/types`\n- import it from both\n\n"+
				"```go\nfunc main() {\n\tfmt.Println(\"fixed\") // done\n}\n```\n\nThat is all."),
			uitest.State(session.StateRunning, session.StateFinished, ""),
		)
	}, "That is all.")
}

// TestGoldenHighlightedDiff: a file edit's diff, lexed as Go, added and
// removed lines on tinted backgrounds.
func TestGoldenHighlightedDiff(t *testing.T) {
	args, _ := json.Marshal(map[string]string{"command": "str_replace", "path": "/w/main.go"})
	runGoldenStyled(t, colourOptions, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(
			evSandbox("started"),
			uitest.User("rename a to b"),
			uitest.State(session.StateIdle, session.StateRunning, ""),
			session.Event{Kind: session.KindAction, Action: &session.Action{ToolCallID: "e1", Tool: "file_editor", Args: args, Summary: "edit /w/main.go"}},
			session.Event{Kind: session.KindObservation, Observation: &session.Observation{ToolCallID: "e1", Tool: "file_editor",
				Content: "edited", Duration: 20 * time.Millisecond,
				Diff: "--- /w/main.go\n+++ /w/main.go\n@@ -1,4 +1,4 @@\n package main\n \n-func a() int { return 1 } // old\n+func b() string { return \"two\" } // new\n"}},
		)
	}, "+func b()")
}

// TestGoldenRetryCountdown: the status bar counts down a retry and the
// stream says why.
func TestGoldenRetryCountdown(t *testing.T) {
	now := fixedNow()
	runGolden(t, "retry", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(
			evSandbox("started"),
			uitest.User("summarise the repo"),
			session.Event{Kind: session.KindState, Time: now, State: &session.StateChange{From: session.StateIdle, To: session.StateRunning}},
			session.Event{Kind: session.KindRetry, Time: now.Add(-4 * time.Second), Retry: &session.Retry{Reason: "rate limited", Attempt: 2, Max: 5, Wait: 45 * time.Second}},
		)
	}, "retry 2/5 in 41 s")
}
