package transcript

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/session"
)

func TestExportShowsQueuedCallsThatNeverRan(t *testing.T) {
	act := func(id, cmd string) session.Action {
		args, _ := json.Marshal(map[string]string{"command": cmd})
		return session.Action{ToolCallID: id, Tool: "terminal", Args: args, Command: cmd}
	}
	a, b := act("a", "echo ran"), act("b", "echo never")
	exit := 0
	evs := []session.Event{
		{Seq: 1, Kind: session.KindQueued, Queued: &session.Queued{Actions: []session.Action{a, b}}},
		{Seq: 2, Kind: session.KindAction, Action: &a},
		{Seq: 3, Kind: session.KindObservation, Observation: &session.Observation{ToolCallID: "a", Tool: "terminal", ExitCode: &exit, Content: "ran"}},
		{Seq: 4, Kind: session.KindObservation, Observation: &session.Observation{ToolCallID: "b", Tool: "terminal", NotRun: true, IsError: true, Content: "Cancelled by user"}},
	}
	var titles, codes []string
	for _, bl := range blocks(evs, redact.New()) {
		titles, codes = append(titles, bl.title), append(codes, bl.code)
	}
	got := strings.Join(codes, "|")
	if strings.Count(got, "$ echo ran") != 1 {
		t.Errorf("the call that ran is shown %d times: %q", strings.Count(got, "$ echo ran"), titles)
	}
	i, j := strings.Index(got, "$ echo never"), strings.Index(got, "Cancelled by user")
	if i < 0 || j < i {
		t.Errorf("the never-run call is not shown before its result: %q / %q", titles, codes)
	}
}
