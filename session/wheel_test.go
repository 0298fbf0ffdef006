package session

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

// wheelScreen collects a wheel's raw output and waits for text in it.
type wheelScreen struct {
	mu   sync.Mutex
	out  strings.Builder
	done chan struct{}
}

func readWheel(w *Wheel) *wheelScreen {
	sc := &wheelScreen{done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		p := make([]byte, 4096)
		for {
			n, err := w.Read(p)
			sc.mu.Lock()
			sc.out.Write(p[:n])
			sc.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return sc
}

// waitCount waits until s appears n times in the output.
func (sc *wheelScreen) waitCount(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		sc.mu.Lock()
		got := strings.Count(sc.out.String(), s)
		sc.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	t.Fatalf("%q did not appear %d times in the wheel's output: %q", s, n, sc.out.String())
}

// typeCommands types each line and waits for the prompt after its echo.
// Counting prompts is not enough: readline redraws the prompt when the
// terminal is resized, and that redraw would pass for the next prompt.
func typeCommands(t *testing.T, w *Wheel, sc *wheelScreen, lines ...string) {
	t.Helper()
	sc.waitCount(t, "(you)", 1)
	for _, l := range lines {
		sc.mu.Lock()
		from := sc.out.Len()
		sc.mu.Unlock()
		if err := w.Send(context.Background(), []byte(l+"\r")); err != nil {
			t.Fatal(err)
		}
		sc.waitAfter(t, from, l, "(you)")
	}
}

// waitAfter waits until, from byte offset from of the output on, first
// appears and then, after it, then.
func (sc *wheelScreen) waitAfter(t *testing.T, from int, first, then string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		sc.mu.Lock()
		out := sc.out.String()[from:]
		sc.mu.Unlock()
		if i := strings.Index(out, first); i >= 0 && strings.Contains(out[i+len(first):], then) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	t.Fatalf("%q then %q did not appear in the wheel's output: %q", first, then, sc.out.String()[from:])
}

func TestWheelRecordsCommandsFilesAndTellsTheNextPrompt(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("noted"))
	path := filepath.Join(t.TempDir(), "r.jsonl")
	s := wireSession(t, srv, func(o *Options) { o.RecordPath = path; o.Tools = nil })
	c := collect(s)
	work := s.sb.WorkDir()
	if err := os.WriteFile(filepath.Join(work, "gone.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "kept.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := s.TakeWheel(context.Background(), 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	sc := readWheel(w)
	typeCommands(t, w, sc, "echo hi > f", "rm gone.txt", "pwd", "false")
	info, err := w.HandBack(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	<-sc.done // the shell is gone: its output ended
	var cmds []string
	for _, c := range info.Commands {
		code := -99
		if c.ExitCode != nil {
			code = *c.ExitCode
		}
		cmds = append(cmds, c.Command+"="+strconv.Itoa(code))
	}
	if got, want := strings.Join(cmds, ";"), "echo hi > f=0;rm gone.txt=0;pwd=0;false=1"; got != want {
		t.Errorf("commands = %s, want %s (unknown: %q)", got, want, info.CommandsUnknown)
	}
	if len(info.Files) != 2 || info.Files[0] != (FileChange{"f", FileAdded}) || info.Files[1] != (FileChange{"gone.txt", FileDeleted}) {
		t.Errorf("files = %+v (unknown: %q)", info.Files, info.FilesUnknown)
	}
	if !strings.Contains(sc.out.String(), work) {
		t.Errorf("pwd did not print the workspace %s: %q", work, sc.out.String())
	}
	if info.InRun {
		t.Error("handed back with no run: InRun set")
	}
	if _, err := s.Run(context.Background(), "carry on"); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	msgs := reqs[len(reqs)-1].Messages
	checkConversation(t, msgs)
	u := msgs[len(msgs)-1].Content
	for _, want := range []string{"took over the sandbox's shell", "`echo hi > f` (exit code 0)", "`false` (exit code 1)", "added f", "deleted gone.txt", "carry on"} {
		if !strings.Contains(u, want) {
			t.Errorf("the model's next prompt lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "kept.txt") {
		t.Errorf("an unchanged file is named: %s", u)
	}
	evs := c.finish(t, s)
	var seen bool
	for _, ev := range evs {
		if ev.Kind == KindWheel {
			seen = ev.Wheel.Note == info.Note
		}
	}
	if !seen {
		t.Error("no wheel event with the note was published")
	}
	rec, err := ReadRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	// A fork or resume rebuilds exactly what the model was sent.
	cp, err := Rebuild(rec, 0, Edit{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cp.Conv[len(cp.Conv)-2]; got.Role != llm.RoleUser || got.Content != u {
		t.Errorf("rebuilt prompt = %+v, want the one the model got", got)
	}
}

func TestWheelPausesARunAndTheModelHearsOfItBeforeItsNextCall(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call(ToolTerminal, map[string]any{"command": "sleep 0.5; echo agent-was-here > a.txt"})),
		llmtest.TextReply("done"),
	)
	path := filepath.Join(t.TempDir(), "r.jsonl")
	s := wireSession(t, srv, func(o *Options) { o.RecordPath = path; o.Tools = nil })
	c := collect(s)
	if err := s.Send("write a.txt"); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "the agent's call", func(ev Event) bool { return ev.Kind == KindAction && !ev.Action.Direct })
	w, err := s.TakeWheel(context.Background(), 100, 30)
	if err != nil {
		t.Fatal(err)
	}
	// The call in progress finished first, and the agent now waits.
	if st := s.State(); st != StatePaused {
		t.Fatalf("state with the wheel taken = %s, want paused", st)
	}
	if b, err := os.ReadFile(filepath.Join(s.sb.WorkDir(), "a.txt")); err != nil || string(b) != "agent-was-here\n" {
		t.Fatalf("the agent's call had not finished when the wheel was given: %q %v", b, err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("the model was called %d times while the user had the wheel", n)
	}
	sc := readWheel(w)
	typeCommands(t, w, sc, "cat a.txt > b.txt")
	info, err := w.HandBack(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !info.InRun {
		t.Error("handed back during a run: InRun not set")
	}
	res, err := s.Wait(context.Background())
	if err != nil || res.Status != StateFinished {
		t.Fatalf("run after hand-back: %+v %v", res, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d model calls, want 2", len(reqs))
	}
	msgs := reqs[1].Messages
	checkConversation(t, msgs)
	last := msgs[len(msgs)-1]
	if last.Role != llm.RoleUser || !strings.Contains(last.Content, "`cat a.txt > b.txt` (exit code 0)") || !strings.Contains(last.Content, "added b.txt") {
		t.Fatalf("the model's next request ends with %+v, want the wheel's summary", last)
	}
	if prev := msgs[len(msgs)-2]; prev.Role != llm.RoleTool {
		t.Errorf("the summary should follow the tool result, follows %+v", prev)
	}
	evs := c.finish(t, s)
	var paused string
	for _, ev := range evs {
		if ev.Kind == KindState && ev.State.To == StatePaused {
			paused = ev.State.Reason
		}
	}
	if !strings.Contains(paused, "wheel") {
		t.Errorf("paused state's reason = %q", paused)
	}
	rec, err := ReadRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := Rebuild(rec, 0, Edit{})
	if err != nil {
		t.Fatal(err)
	}
	got := cp.Conv[:len(cp.Conv)-1] // without the final answer
	if want := msgs[1:]; len(got) != len(want) || got[len(got)-1].Content != want[len(want)-1].Content || got[len(got)-1].Role != llm.RoleUser {
		t.Errorf("rebuilt conversation differs from what the model got:\n got %+v\nwant %+v", got, want)
	}
}

func TestWheelClosedWithTheSessionLeavesNoShell(t *testing.T) {
	srv := llmtest.NewServer(t)
	s := wireSession(t, srv, func(o *Options) { o.Tools = nil })
	c := collect(s)
	w, err := s.TakeWheel(context.Background(), 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeWheel(context.Background(), 80, 24); err != ErrWheelTaken {
		t.Errorf("second TakeWheel: %v, want ErrWheelTaken", err)
	}
	c.finish(t, s)
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the wheel's shell outlived the session")
	}
}

func TestParseWheelLog(t *testing.T) {
	log := "\x1e   1  1700000000 echo a\n\x1f0\n\x1f0\n\x1e   2  1700000001 for i in 1 2; do\n  echo $i\ndone\n\x1f3\n\x1e   3  1700000002 vi x\n"
	cmds, dropped := parseWheelLog([]byte(log))
	if dropped != 0 || len(cmds) != 3 {
		t.Fatalf("cmds %+v dropped %d", cmds, dropped)
	}
	if cmds[0].Command != "echo a" || *cmds[0].ExitCode != 0 || cmds[0].Time.Unix() != 1700000000 {
		t.Errorf("first = %+v", cmds[0])
	}
	if cmds[1].Command != "for i in 1 2; do\n  echo $i\ndone" || *cmds[1].ExitCode != 3 {
		t.Errorf("multi-line = %+v", cmds[1])
	}
	if cmds[2].ExitCode != nil {
		t.Errorf("a command still running has an exit code: %+v", cmds[2])
	}
}

// TestWheelChangesNamedWhenAForkReplays: a fork rebuilt by replaying
// recorded calls (no snapshot, as on Daytona) cannot replay what the user
// typed at the wheel, and says so.
func TestWheelChangesNamedWhenAForkReplays(t *testing.T) {
	s, _ := newTestSession(t, nil, nil)
	defer s.Close()
	evs := []Event{
		{Seq: 1, Kind: KindWheel, Wheel: &WheelInfo{Files: []FileChange{{"f", FileAdded}}}},
		{Seq: 2, Kind: KindWheel, Wheel: &WheelInfo{}}, // changed nothing: nothing to say
	}
	r := s.replay(context.Background(), evs, 0)
	if len(r.Unrestored) != 1 || r.Unrestored[0].Event != 1 || r.Unrestored[0].Tool != "wheel" || r.Exact() {
		t.Fatalf("restore = %+v", r)
	}
}
