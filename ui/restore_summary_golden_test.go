package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/eventlist"
	"github.com/tether-dev/tether/ui/uitest"
)

// evRestored is the KindWorkspace event a fork or resume publishes.
func evRestored(r session.Restore) session.Event {
	return session.Event{Kind: session.KindWorkspace, Workspace: &session.Workspace{Restored: &r}}
}

// A branch rebuilt by replay shows in the stream which events were
// replayed and each one that could not be restored with its reason, and
// keeps the gist in the sandbox pane.
func TestGoldenRestoreSummary(t *testing.T) {
	runGolden(t, "restore_summary", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(evSandbox("creating"), evSandbox("started"),
			uitest.User("make the build pass"),
			evRestored(session.Restore{Method: "replay", Replayed: 2, ReplayedEvents: []int64{4, 9},
				Unrestored: []session.Unrestored{
					{Event: 9, Tool: "terminal", Reason: "exit code 0 when recorded, 1 on replay"},
					{Event: 12, Tool: "browser", Reason: "only terminal and file_editor calls are replayed: what this tool did to the files is unknown"},
				}}))
	}, "what this tool did")
}

// An exact restore says so, and which step it holds.
func TestGoldenRestoreSummaryExactFork(t *testing.T) {
	runGolden(t, "restore_summary_fork", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(evSandbox("creating"), evSandbox("started"),
			evRestored(session.Restore{Method: session.RestoreFork, From: 14, Snapshot: "sb-000001"}))
	}, "event 14)")
}

func TestRestoreSummaryNamesWhatWasExactReplayedAndMissing(t *testing.T) {
	for _, tc := range []struct {
		r    session.Restore
		want []string
	}{
		{session.Restore{Method: session.RestoreProviderSnapshot, From: 7, Snapshot: "tether-c-1", Replayed: 1, ReplayedEvents: []int64{10}},
			[]string{"exactly up to event 7", "tether-c-1", "replayed event 10 (each as recorded)"}},
		{session.Restore{Method: "replay", Replayed: 1, ReplayedEvents: []int64{3}, Unrestored: []session.Unrestored{{Event: 20, Reason: "daytona could not fork"}}},
			[]string{"rebuilt by replay; replayed event 3\n", "not restored: event 20: daytona could not fork"}},
		{session.Restore{Method: "replay", Replayed: 11, ReplayedEvents: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
			[]string{"events 1, 2, 3, 4, 5, 6, 7, 8 and 3 more"}},
	} {
		m := New(newFakeEngine(), testOptions())
		m.m.apply(evRestored(tc.r))
		text := eventlist.RestoreText(m.m.sbx.restore)
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: summary lacks %q:\n%s", tc.r.Method, w, text)
			}
		}
		rows := restoreRows(m.m.sbx.restore)
		if len(rows) == 0 || (len(tc.r.Unrestored) > 0) != (rows[len(rows)-1][0] == "missing") {
			t.Errorf("%s: pane rows %v", tc.r.Method, rows)
		}
		_ = m.Close()
	}
}
