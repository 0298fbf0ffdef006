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
