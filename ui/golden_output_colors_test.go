package ui

import (
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// TestGoldenColouredOutput: a command's SGR colours and a CR-redrawn
// progress bar as the user sees them (styles kept in the golden), with a
// hostile OSC 8 link and screen clear left inert.
func TestGoldenColouredOutput(t *testing.T) {
	runGoldenStyled(t, func(eng *fakeEngine) Model {
		o := testOptions()
		o.NoColor = false
		return New(eng, o)
	}, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(
			evSandbox("started"),
			uitest.User("run the tests"),
			uitest.State(session.StateIdle, session.StateRunning, ""),
			evAction("c1", "go test ./...", false),
			uitest.Output("c1", "\x1b[32mok\x1b[0m  \tpkg/a\t0.01s\n\x1b[1;31mFAIL\x1b[0m\tpkg/b \x1b[38;5;208m[build failed]\x1b[m\n"),
			uitest.Output("c1", "[    ] 0%\r[##  ] 50%\r[####] 100%\n"),
			uitest.Output("c1", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ \x1b[2Jdone\n"),
			evObservation("c1", "", 1),
		)
	}, "done")
}
