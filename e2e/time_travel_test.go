package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EResumeAfterKill9 kills a run with SIGKILL while its second tool
// call sleeps, then `tether resume` opens the UI on the recording: the run
// goes on in the same sandbox, and the model gets the whole conversation
// with the interrupted call answered.
func TestE2EResumeAfterKill9(t *testing.T) {
	e := newEnv(t, "local-none")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo one > a.txt"})),
		llmtest.ToolReply(e.sleepCall()),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "cat a.txt"})),
		llmtest.TextReply("resumed and done"),
	)
	p := e.start("run", "write a.txt then wait")
	e.waitMarked(p, 30*time.Second)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t, 10*time.Second)
	killMarked(e.marker) // the sleep, so the sandbox is idle
	recs, _ := filepath.Glob(filepath.Join(e.recordDir(), "*.jsonl"))
	if len(recs) != 1 {
		t.Fatalf("recordings %v, want one", recs)
	}
	out, _, _ := e.run(30*time.Second, "ls")
	if !strings.Contains(out, "interrupted") {
		t.Errorf("tether ls does not mark the killed run interrupted:\n%s", out)
	}

	u := e.startTUI("resume", recs[0])
	u.waitScreen("resumed and done", 60*time.Second)
	scr := u.screen()
	for _, want := range []string{"write a.txt then wait", "echo one > a.txt", "cat a.txt"} {
		if !strings.Contains(scr, want) {
			t.Errorf("resumed screen lacks %q:\n%s", want, scr)
		}
	}
	reqs := e.llm.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d model calls, want 4 (2 before the kill, 2 after)", len(reqs))
	}
	var conv []string
	for _, m := range reqs[2].Messages {
		conv = append(conv, m.Role+": "+m.Content)
	}
	joined := strings.Join(conv, "\n")
	for _, want := range []string{"user: write a.txt then wait", "exit code 0", "tether stopped while this tool call ran"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the first call after resume lacks %q; it got:\n%s", want, joined)
		}
	}
	last := reqs[3].Messages[len(reqs[3].Messages)-1]
	if !strings.Contains(last.Content, "one") {
		t.Errorf("cat a.txt after resume did not see the file the killed run wrote (same sandbox): %q", last.Content)
	}
	u.keys("C-q")
	u.waitExit(30 * time.Second)
	// The resumed session's recording says it went on in the same sandbox
	// (not a restored copy).
	after, _ := filepath.Glob(filepath.Join(e.recordDir(), "*.jsonl"))
	same := false
	for _, f := range after {
		if b, _ := os.ReadFile(f); f != recs[0] && strings.Contains(string(b), `"method":"same sandbox"`) {
			same = true
		}
	}
	if !same {
		t.Errorf("no resumed recording says \"same sandbox\" (recordings %v)", after)
	}
	e.assertNoLeaks("resume-after-kill9")
}

// TestE2EForkDiffExport forks a recorded run headless at its first tool
// call with another command, then compares the two and exports one.
func TestE2EForkDiffExport(t *testing.T) {
	e := newEnv(t, "local-none")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo base > base.txt"})),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo parent > which.txt"})),
		llmtest.TextReply("parent done"),
		llmtest.TextReply("branch done"),
	)
	out, stderr, code := e.run(60*time.Second, "run", "--json", "make files")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var parent struct {
		RecordPath string `json:"record_path"`
	}
	json.Unmarshal([]byte(out), &parent)
	evs := readEvents(t, parent.RecordPath)
	var at int64
	n := 0
	for _, ev := range evs {
		if ev.Kind == "action" {
			if n++; n == 2 {
				at = ev.Seq
			}
		}
	}
	out, stderr, code = e.run(60*time.Second, "run", "--json", "--resume", parent.RecordPath, "--at", itoa(at))
	if code != 0 {
		t.Fatalf("fork: exit %d\n%s\n%s", code, out, stderr)
	}
	var branch struct {
		RecordPath string `json:"record_path"`
		ForkAt     int64  `json:"fork_at"`
		Unrestored string `json:"unrestored"`
		Workspace  struct {
			Method string `json:"method"`
		} `json:"workspace"`
	}
	if err := json.Unmarshal([]byte(out), &branch); err != nil || branch.ForkAt != at || branch.Workspace.Method != "snapshot" || branch.Unrestored != "" {
		t.Fatalf("fork result %+v (%v):\n%s", branch, err, out)
	}

	// Exit status as diff(1): the branches differ (their final
	// messages; the files are the same) → 1; a recording against
	// itself → 0; trouble → 2.
	out, stderr, code = e.run(30*time.Second, "diff", parent.RecordPath, branch.RecordPath)
	if code != 1 || !strings.Contains(out, "parent done") || !strings.Contains(out, "branch done") ||
		!strings.Contains(out, "the branches differ: final message\n") {
		t.Errorf("diff of differing branches: exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	out, _, code = e.run(30*time.Second, "diff", "--json", parent.RecordPath, branch.RecordPath)
	var cmp struct {
		Same  bool `json:"same"`
		Files struct {
			Known bool `json:"known"`
		} `json:"files"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &cmp) != nil || !cmp.Files.Known || cmp.Same {
		t.Errorf("diff --json of differing branches: exit %d, want 1 and same=false\n%s", code, out)
	}
	out, stderr, code = e.run(30*time.Second, "diff", parent.RecordPath, parent.RecordPath)
	if code != 0 || !strings.Contains(out, "the branches came to the same outcome") {
		t.Errorf("diff of a recording with itself: exit %d, want 0\n%s\n%s", code, out, stderr)
	}
	out, _, code = e.run(30*time.Second, "diff", "--json", parent.RecordPath, parent.RecordPath)
	if code != 0 || json.Unmarshal([]byte(out), &cmp) != nil || !cmp.Same {
		t.Errorf("diff --json of a recording with itself: exit %d, want 0 and same=true\n%s", code, out)
	}
	missing := filepath.Join(e.root, "no-such.jsonl")
	if out, stderr, code = e.run(30*time.Second, "diff", parent.RecordPath, missing); code != 2 || !strings.Contains(stderr, "no-such.jsonl") {
		t.Errorf("diff with a missing recording: exit %d, want 2 with the file named\n%s\n%s", code, out, stderr)
	}
	html := filepath.Join(e.root, "session.html")
	if _, stderr, code = e.run(30*time.Second, "export", parent.RecordPath, "--format", "html", "-o", html); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), "echo base &gt; base.txt") {
		t.Errorf("exported html: %v\n%.500s", err, b)
	}
	if _, stderr, code = e.run(30*time.Second, "export", parent.RecordPath, "--format", "pdf"); code != 2 || !strings.Contains(stderr, "md, html, json") {
		t.Errorf("export --format pdf: exit %d, want 2 with the formats named:\n%s", code, stderr)
	}
}

type recEvent struct {
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"`
}

func readEvents(t *testing.T, path string) []recEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []recEvent
	for _, l := range strings.Split(string(b), "\n") {
		var ev recEvent
		if json.Unmarshal([]byte(l), &ev) == nil && ev.Kind != "" {
			out = append(out, ev)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestE2ETUIFork runs a prompt in the UI, forks at its tool call with
// edited arguments from the fork dialog and sees the branch run them in
// a sandbox holding the files of that point.
func TestE2ETUIFork(t *testing.T) {
	e := newEnv(t, "local-none")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo first > f.txt"})),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo second >> f.txt"})),
		llmtest.TextReply("original done"),
		llmtest.TextReply("branch done"),
	)
	u := e.startTUI()
	u.waitScreen("started", 30*time.Second)
	u.typeLine("write f.txt")
	u.waitScreen("original done", 60*time.Second)
	u.keys("Tab")
	u.keys("k", "k") // up from "done" past the answer to the second tool call
	u.keys("F")
	u.waitScreen("edit its command", 10*time.Second)
	u.waitScreen("echo second", 10*time.Second)
	u.keys("C-a", "C-k") // the command, cleared
	if out, err := u.tmux("send-keys", "-t", "main", "-l", "cat f.txt; echo branch >> f.txt"); err != nil {
		t.Fatal(err, out)
	}
	start := time.Now()
	u.keys("Enter")
	u.waitScreen("branch done", 60*time.Second)
	t.Logf("fork: enter → branch's answer on screen in %s (load %s)", time.Since(start), loadavg())
	reqs := e.llm.Requests()
	last := reqs[len(reqs)-1].Messages
	if got := last[len(last)-1].Content; !strings.Contains(got, "first") || strings.Contains(got, "second") {
		t.Errorf("the edited call saw %q: want the file as it was before the second call (first only)", got)
	}
	u.keys("C-q")
	u.waitScreen("y", 10*time.Second)
	u.waitExit(30 * time.Second)
	if !strings.Contains(u.stderr(), "forked-from session recorded to") {
		t.Errorf("stderr does not name the original's recording:\n%s", u.stderr())
	}
	e.assertNoLeaks("tui-fork")
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// TestE2EReplayFork opens a recording in `tether replay`, forks at its
// second tool call with an edited command and sees the branch run it
// live on the files of that point, with the restore summary on screen.
func TestE2EReplayFork(t *testing.T) {
	e := newEnv(t, "local-none")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo first > f.txt"})),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo second >> f.txt"})),
		llmtest.TextReply("original done"),
		llmtest.TextReply("branch done"),
	)
	out, stderr, code := e.run(60*time.Second, "run", "--json", "write f.txt")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var parent struct {
		RecordPath string `json:"record_path"`
	}
	json.Unmarshal([]byte(out), &parent)
	u := e.startTUI("replay", parent.RecordPath)
	u.waitScreen("original done", 30*time.Second)
	u.keys(">")      // all of it, paused at the end
	u.keys("k", "k") // up from "done" past the answer to the second tool call
	u.keys("F")
	u.waitScreen("edit its command", 10*time.Second)
	u.waitScreen("echo second", 10*time.Second)
	u.keys("C-a", "C-k")
	if out, err := u.tmux("send-keys", "-t", "main", "-l", "cat f.txt; echo branch >> f.txt"); err != nil {
		t.Fatal(err, out)
	}
	u.keys("Enter")
	u.waitScreen("branch done", 60*time.Second)
	u.waitScreen("workspace restored exactly from the snapshot at event", 10*time.Second)
	reqs := e.llm.Requests()
	last := reqs[len(reqs)-1].Messages
	if got := last[len(last)-1].Content; !strings.Contains(got, "first") || strings.Contains(got, "second") {
		t.Errorf("the edited call saw %q: want the file as it was before the second call (first only)", got)
	}
	u.keys("C-q")
	u.waitScreen("y", 10*time.Second)
	u.waitExit(30 * time.Second)
	if !strings.Contains(u.stderr(), "branch recorded to") {
		t.Errorf("stderr does not name the branch's recording:\n%s", u.stderr())
	}
	e.assertNoLeaks("replay-fork")
}

// TestE2EDaytonaForkFromSnapshotSteps runs on Daytona (the real toolbox
// daemon behind the fake control plane) with snapshot_steps: each call
// leaves a Daytona snapshot, and a headless fork at the first call starts
// a sandbox from its snapshot, exact, after the parent's sandbox is gone.
func TestE2EDaytonaForkFromSnapshotSteps(t *testing.T) {
	e := newEnv(t, "daytona", withConfig("[daytona]\nsnapshot_steps = true"))
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo first > f.txt"})),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo second >> f.txt"})),
		llmtest.TextReply("parent done"),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "cat f.txt"})),
		llmtest.TextReply("branch done"),
	)
	out, stderr, code := e.run(90*time.Second, "run", "--json", "write f.txt")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var parent struct {
		RecordPath string `json:"record_path"`
	}
	json.Unmarshal([]byte(out), &parent)
	if n := len(e.day.Snapshots()); n != 2 {
		t.Fatalf("%d Daytona snapshots taken, want one per call", n)
	}
	b, _ := os.ReadFile(parent.RecordPath)
	var at int64 // the first call's observation
	for _, l := range strings.Split(string(b), "\n") {
		var ev struct {
			Seq  int64  `json:"seq"`
			Kind string `json:"kind"`
		}
		if json.Unmarshal([]byte(l), &ev) == nil && ev.Kind == "observation" {
			at = ev.Seq
			break
		}
	}
	out, stderr, code = e.run(90*time.Second, "run", "--json", "--resume", parent.RecordPath, "--at", itoa(at), "go on")
	if code != 0 {
		t.Fatalf("fork: exit %d\n%s\n%s", code, out, stderr)
	}
	var branch struct {
		Unrestored string `json:"unrestored"`
		Workspace  struct {
			Method   string `json:"method"`
			Snapshot string `json:"snapshot"`
		} `json:"workspace"`
	}
	if err := json.Unmarshal([]byte(out), &branch); err != nil || branch.Workspace.Method != "provider snapshot" || branch.Unrestored != "" {
		t.Fatalf("fork result %+v (%v):\n%s", branch, err, out)
	}
	reqs := e.llm.Requests()
	last := reqs[len(reqs)-1].Messages
	if got := last[len(last)-1].Content; !strings.Contains(got, "first") || strings.Contains(got, "second") {
		t.Errorf("the branch's cat saw %q: want the file as it was after the first call", got)
	}
	e.assertNoLeaks("daytona-fork-snapshot")
}

// TestE2EDaytonaTUIForkAtTheLastResultForksTheLiveSandbox: in the UI on
// Daytona, replacing the result of the session's last tool call forks at
// the sandbox's current step, so the branch's sandbox is Daytona's fork of
// the live one (no replay), and the screen says so.
func TestE2EDaytonaTUIForkAtTheLastResultForksTheLiveSandbox(t *testing.T) {
	e := newEnv(t, "daytona")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo first > f.txt"})),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo second >> f.txt"})),
		llmtest.TextReply("original done"),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "cat f.txt"})),
		llmtest.TextReply("branch done"),
	)
	u := e.startTUI()
	u.waitScreen("started", 30*time.Second)
	u.typeLine("write f.txt")
	u.waitScreen("original done", 60*time.Second)
	u.keys("Tab")
	u.keys("k", "k") // the second (last) tool call
	u.keys("F")
	u.waitScreen("echo second", 10*time.Second)
	u.keys("C-r") // replace its result
	u.waitScreen("after the terminal call", 10*time.Second)
	if out, err := u.tmux("send-keys", "-t", "main", "-l", "my own result"); err != nil {
		t.Fatal(err, out)
	}
	u.keys("Enter")
	u.waitScreen("branch done", 60*time.Second)
	u.waitScreen("a fork of the live sandbox", 10*time.Second)
	var forked int
	for _, sb := range e.day.Sandboxes() {
		if sb.ForkedFrom != "" {
			forked++
		}
	}
	if forked != 1 {
		t.Errorf("%d forked sandboxes at Daytona, want the branch's", forked)
	}
	reqs := e.llm.Requests()
	last := reqs[len(reqs)-1].Messages
	if got := last[len(last)-1].Content; !strings.Contains(got, "first\nsecond") {
		t.Errorf("the branch's cat saw %q: want the live sandbox's file", got)
	}
	u.keys("C-q")
	u.waitScreen("y", 10*time.Second)
	u.waitExit(30 * time.Second)
	e.assertNoLeaks("daytona-tui-fork")
}
