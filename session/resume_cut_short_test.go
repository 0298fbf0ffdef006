package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

// cutAfter keeps the recording's lines up to the one holding event seq,
// plus half of the next line: what kill -9 mid-write leaves.
func cutAfter(t *testing.T, path string, seq int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out []byte
	for i, l := range lines {
		out = append(out, l...)
		if i > 0 && bytes.Contains(l, []byte(`"seq":`+itoa(seq)+`,`)) {
			if i+1 < len(lines) {
				out = append(out, lines[i+1][:len(lines[i+1])/2]...)
			}
			break
		}
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestResumeAfterACutDuringAToolCallAnswersItAndGoesOn(t *testing.T) {
	rec, parentReqs, sb := recordThreeSteps(t)
	_, evs, _ := ReadRecordingFile(rec)
	if st := ResumeState(rec); st != "resumable" {
		t.Fatalf("a finished recording is %q, want resumable", st)
	}
	cutAfter(t, rec, seqOf(t, evs, KindAction, 1)) // killed while the second call ran
	if !Resumable(rec) || ResumeState(rec) != "interrupted" {
		t.Fatalf("a cut-short recording is %q, want interrupted", ResumeState(rec))
	}
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("carried on"))
	client, _ := llm.New(srv.Config("m1"))
	s, err := Resume(context.Background(), sb, rec, Options{Model: client})
	if err != nil {
		t.Fatal(err)
	}
	if !s.CanContinue() {
		t.Fatal("an interrupted run cannot continue")
	}
	res := runBranch(t, s, "")
	if res.FinalMessage != "carried on" {
		t.Fatalf("result %+v", res)
	}
	g := srv.Requests()[0].Messages
	want := parentReqs[2].Messages
	if len(g) != len(want) {
		t.Fatalf("resumed with %d messages, want %d", len(g), len(want))
	}
	for i := range len(want) - 1 {
		if g[i].Content != want[i].Content || g[i].Role != want[i].Role {
			t.Fatalf("message %d differs: %+v vs %+v", i, g[i], want[i])
		}
	}
	if last := g[len(g)-1]; last.Role != llm.RoleTool || last.Content != interruptedNote {
		t.Fatalf("interrupted call answered with %+v", last)
	}
}

func TestRecordingsFromANewerTetherAreRefusedOldOnesRead(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.jsonl")
	os.WriteFile(newer, []byte(`{"type":"tether_session","format_version":99,"conversation_id":"c"}`+"\n"), 0o600)
	if _, _, err := ReadRecordingFile(newer); !errors.Is(err, ErrNewerRecording) {
		t.Fatalf("newer recording: %v, want ErrNewerRecording", err)
	}
	old := filepath.Join(dir, "old.jsonl") // no header at all, as early recordings
	os.WriteFile(old, []byte(`{"id":"e1","seq":1,"kind":"user_message","message":{"text":"hi"}}`+"\n"), 0o600)
	hdr, evs, err := ReadRecordingFile(old)
	if err != nil || len(evs) != 1 || hdr.FormatVersion != 0 {
		t.Fatalf("unversioned recording: %+v %d %v", hdr, len(evs), err)
	}
	cp, err := Rebuild(evs, 0, Edit{})
	if err != nil || len(cp.Conv) != 1 || cp.Conv[0].Content != "hi" {
		t.Fatalf("rebuild of an unversioned recording: %+v %v", cp, err)
	}
}
