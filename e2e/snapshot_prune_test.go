package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2ESnapshotsShownAndPrunedByAge: `tether ls` shows a recording's
// snapshot disk use; `cleanup --snapshots` lists what the age limit
// prunes, and with --yes removes it and keeps the recording.
func TestE2ESnapshotsShownAndPrunedByAge(t *testing.T) {
	e := newEnv(t, "local-none")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "head -c 300000 /dev/urandom > big.bin"})),
		llmtest.TextReply("done"),
	)
	out, stderr, code := e.run(60*time.Second, "run", "--json", "make a file")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var res struct {
		RecordPath string `json:"record_path"`
	}
	json.Unmarshal([]byte(out), &res)
	store := strings.TrimSuffix(res.RecordPath, ".jsonl") + ".snapshots"
	if _, err := os.Stat(store); err != nil {
		t.Fatalf("no snapshot store: %v", err)
	}
	out, _, code = e.run(30*time.Second, "ls")
	if code != 0 || !strings.Contains(out, "SNAPSHOTS") || !strings.Contains(out, "KB") || !strings.Contains(out, "workspace snapshots: ") {
		t.Fatalf("ls does not show the snapshots' disk use:\n%s", out)
	}
	out, _, code = e.run(30*time.Second, "cleanup", "--snapshots")
	if code != 0 || !strings.Contains(out, "nothing to prune") {
		t.Fatalf("cleanup --snapshots on a fresh store: exit %d\n%s", code, out)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	os.Chtimes(res.RecordPath, old, old)
	os.Chtimes(store, old, old)
	out, _, code = e.run(30*time.Second, "cleanup", "--snapshots")
	if code != 0 || !strings.Contains(out, "to remove: older than 30 days") || !strings.Contains(out, "--snapshots --yes") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(store); err != nil {
		t.Fatal("the dry run removed the store")
	}
	out, _, code = e.run(30*time.Second, "cleanup", "--snapshots", "--yes")
	if code != 0 || !strings.Contains(out, "removed 1 snapshot store(s)") {
		t.Fatalf("cleanup --snapshots --yes: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatal("the old store is still there")
	}
	if _, err := os.Stat(res.RecordPath); err != nil {
		t.Fatal("pruning removed the recording")
	}
}
