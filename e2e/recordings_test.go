package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EDamagedAndEmptyRecordings: a recording with one damaged middle
// line still lists, replays and resumes, each saying which line was
// skipped; an empty one is a clear error, not a replay waiting forever.
func TestE2EDamagedAndEmptyRecordings(t *testing.T) {
	e := newEnv(t, "local")
	e.llm.Enqueue(llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo made > a.txt"})),
		llmtest.TextReply("FIRST-DONE"))
	out, stderr, code := e.run(60*time.Second, "run", "--json", "make a.txt")
	var res struct {
		RecordPath string `json:"record_path"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.RecordPath == "" {
		t.Fatalf("run: exit %d, %v:\n%s\n%s", code, err, out, stderr)
	}
	data, _ := os.ReadFile(res.RecordPath)
	lines := strings.SplitAfter(string(data), "\n")
	damaged := -1
	for i, l := range lines {
		if strings.Contains(l, `"kind":"usage"`) {
			lines[i], damaged = "{\"kind\":\"usage\",\x00 disk error\n", i+1
			break
		}
	}
	if damaged < 0 {
		t.Fatalf("no usage line to damage in\n%s", data)
	}
	os.WriteFile(res.RecordPath, []byte(strings.Join(lines, "")), 0o600)
	notice := "of " + res.RecordPath + " is damaged and was skipped"

	out, stderr, code = e.run(30*time.Second, "ls")
	if code != 0 || !strings.Contains(out, "make a.txt") || !strings.Contains(out, "resumable") {
		t.Errorf("ls of a damaged recording: exit %d:\n%s\n%s", code, out, stderr)
	}

	u := e.startTUI("replay", res.RecordPath)
	u.waitScreen("damaged and was skipped", 30*time.Second)
	u.waitScreen("FIRST-DONE", 30*time.Second)
	u.keys("q")
	u.waitExit(10 * time.Second)

	e.llm.Enqueue(llmtest.TextReply("SECOND-DONE"))
	out, stderr, code = e.run(60*time.Second, "run", "--resume", res.RecordPath, "and now?")
	if code != 0 || !strings.Contains(out, "SECOND-DONE") || !strings.Contains(stderr, notice) {
		t.Errorf("resume of a damaged recording: exit %d, want the answer and %q:\n%s\n%s", code, notice, out, stderr)
	}

	empty := filepath.Join(e.recordDir(), "empty.jsonl")
	os.WriteFile(empty, nil, 0o600)
	_, stderr, code = e.run(30*time.Second, "replay", empty)
	if code == 0 || !strings.Contains(stderr, "the file is empty") {
		t.Errorf("replay of an empty recording: exit %d:\n%s", code, stderr)
	}
	out, _, _ = e.run(30*time.Second, "ls")
	if !strings.Contains(out, "empty") {
		t.Errorf("ls does not mark the empty recording:\n%s", out)
	}
	e.assertNoLeaks("recordings/damaged")
}

// TestE2EFullDiskAtStart: the recordings directory is a full tmpfs (in a
// private mount namespace). The run goes on, says on stderr and in the
// result JSON that it is not recorded, and leaves no 0-byte recording.
func TestE2EFullDiskAtStart(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	e := newEnv(t, "local")
	if err := os.MkdirAll(e.recordDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	e.llm.Enqueue(llmtest.TextReply("DONE-UNRECORDED"), llmtest.TextReply("SUITE-UNRECORDED"))
	suiteFile := filepath.Join(e.root, "s.toml")
	if err := os.WriteFile(suiteFile, []byte("[[case]]\nname = \"a\"\nprompt = \"hi\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The suite's report goes to a file outside the full disk.
	script := `mount -t tmpfs -o size=16k tmpfs "$1" || exit 97
head -c 1048576 /dev/zero > "$1/fill" 2>/dev/null
"$2" run --json "hello"; rc=$?
"$2" suite run --json "$4" "$3" >/dev/null 2>&1 || rc=98
find "$1" -type f | grep -v '/fill$' >&2
exit $rc`
	report := filepath.Join(e.root, "report.json")
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", e.recordDir(), tetherBin, suiteFile, report)
	cmd.Env, cmd.Dir = e.environ(), e.root
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.ProcessState.ExitCode() == 97 {
		t.Skipf("cannot mount a tmpfs here: %s", stderr.String())
	}
	var res struct {
		FinalMessage string `json:"final_message"`
		RecordPath   string `json:"record_path"`
		RecordError  string `json:"record_error"`
	}
	if jerr := json.Unmarshal([]byte(stdout.String()), &res); err != nil || jerr != nil {
		t.Fatalf("run on a full disk: %v %v:\n%s\n%s", err, jerr, stdout.String(), stderr.String())
	}
	if res.FinalMessage != "DONE-UNRECORDED" || res.RecordPath != "" || !strings.Contains(res.RecordError, "no space left on device") {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(stderr.String(), "recording stopped: ") {
		t.Errorf("stderr does not say the run is not recorded:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), ".jsonl\n") {
		t.Errorf("a recording file was left on the full disk:\n%s", stderr.String())
	}
	var rep struct {
		Cases []struct {
			Status      string `json:"status"`
			RecordPath  string `json:"record_path"`
			RecordError string `json:"record_error"`
		} `json:"cases"`
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Cases) != 1 {
		t.Fatalf("suite report: %v\n%s", err, data)
	}
	if c := rep.Cases[0]; c.Status != "passed" || c.RecordPath != "" || !strings.Contains(c.RecordError, "no space left on device") {
		t.Errorf("suite case on a full disk: %+v", c)
	}
	e.assertNoLeaks("recordings/full-disk")
}
