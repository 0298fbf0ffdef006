package ui

import (
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
)

// The project instructions the agent was given show in the stream and
// stay in the sandbox pane.
func TestGoldenProjectContext(t *testing.T) {
	runGolden(t, "project_context", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(evSandbox("creating"), evSandbox("started"),
			session.Event{Kind: session.KindContext, Context: &session.ContextInfo{Path: "/w/AGENTS.md", Bytes: 2150}})
	}, "AGENTS.md (2.1 KB) given")
}
