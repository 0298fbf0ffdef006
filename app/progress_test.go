package app

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
)

// Output chunks are joined as the command printed them, not broken into a
// line per chunk, and a line left open is ended before the next event.
func TestWriteProgressJoinsChunks(t *testing.T) {
	var b strings.Builder
	mid := false
	code := 0
	for _, ev := range []session.Event{
		{Kind: session.KindOutput, Output: &session.Output{Data: "bg-starte"}},
		{Kind: session.KindOutput, Output: &session.Output{Data: "d\nsecond line, no newline\x1b[2J"}},
		{Kind: session.KindObservation, Observation: &session.Observation{ExitCode: &code, Duration: 5 * time.Millisecond}},
		{Kind: session.KindOutput, Output: &session.Output{Data: "ends\n"}},
		{Kind: session.KindState, State: &session.StateChange{To: session.StateFinished}},
	} {
		writeProgress(&b, ev, &mid)
	}
	want := "bg-started\nsecond line, no newline␛[2J\n  [exit 0, 5ms]\nends\n[finished]\n"
	if b.String() != want {
		t.Errorf("progress =\n%q\nwant\n%q", b.String(), want)
	}
}

// A summary that already names its tool is not prefixed with it again.
func TestProgressLineNamesTheToolOnce(t *testing.T) {
	for _, c := range []struct{ tool, summary, want string }{
		{"finish", "finish: all done", "* finish: all done"},
		{"task_tracker", "plan 3 task(s)", "* task_tracker: plan 3 task(s)"},
		{"task_tracker", "task_tracker", "* task_tracker"},
	} {
		got := ProgressLine(session.Event{Kind: session.KindAction, Action: &session.Action{Tool: c.tool, Summary: c.summary}})
		if got != c.want {
			t.Errorf("%s/%q: got %q, want %q", c.tool, c.summary, got, c.want)
		}
	}
}

// A tool name comes from the model: escapes in it must not reach the
// terminal (OSC 2 would retitle the window).
func TestProgressLineSanitizesToolNames(t *testing.T) {
	tool := "evil\x1b]2;pwned\x07\u202e"
	for _, a := range []session.Action{
		{Tool: tool, Summary: "did things"},
		{Tool: tool, Args: []byte(`{"x":1}`)},
	} {
		got := ProgressLine(session.Event{Kind: session.KindAction, Action: &a})
		if strings.ContainsAny(got, "\x1b\x07") || !strings.Contains(got, "evil") {
			t.Errorf("progress line %q: the tool name must be shown inert", got)
		}
	}
}
