package session

import (
	"testing"
	"time"
)

// TestTerminalResultCarriesStructure: what the screen shows comes from
// fields, not from the notes written for the model.
func TestTerminalResultCarriesStructure(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewTerminalTool()
	res, _, _, err := ttRun(t, tool, sb, "c1", map[string]any{"command": "mkdir -p d && cd d && echo hi"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "hi\n" || res.Cwd != sb.WorkDir()+"/d" || res.TimedOut || res.Interrupted {
		t.Fatalf("structured result: output %q cwd %q timedOut %v interrupted %v", res.Output, res.Cwd, res.TimedOut, res.Interrupted)
	}
	tool.(*TerminalTool).Timeout = 300 * time.Millisecond
	res, _, _, err = ttRun(t, tool, sb, "c2", map[string]any{"command": "echo before; sleep 5"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Interrupted || res.ExitCode == nil || *res.ExitCode != -1 || res.Output != "before\n" {
		t.Fatalf("timed out: %+v", res)
	}
}
