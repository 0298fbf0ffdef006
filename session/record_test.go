package session

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/llm"
)

func TestRecordingRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec", RecordFileName(time.Now(), "conv-x"))
	m := &fakeModel{replies: []fakeReply{
		{text: "running <b>&</b>", calls: []llm.ToolCall{shCall("c1", `printf 'é€\302\233 2J\177'; echo; echo err >&2`)}},
		{text: "done"},
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.RecordPath = path; o.ConversationID = "conv-x" })
	c := collect(s)
	res, err := s.Run(context.Background(), "go")
	if err != nil || res.RecordPath != path {
		t.Fatalf("res %+v err %v", res, err)
	}
	live := c.finish(t, s)
	hdr, rec, err := ReadRecordingFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.ConversationID != "conv-x" || hdr.Model != "fake-model" || hdr.Sandbox == nil || hdr.Sandbox.ID != "fake-sb" || hdr.TetherVersion == "" || hdr.Start.IsZero() {
		t.Errorf("header = %+v", hdr)
	}
	if len(rec) != len(live) {
		t.Fatalf("recorded %d events, live %d:\n%s\n%s", len(rec), len(live), kinds(rec), kinds(live))
	}
	for i := range rec {
		a, _ := json.Marshal(rec[i])
		b, _ := json.Marshal(live[i])
		// Times differ in monotonic reading only; compare JSON.
		if string(a) != string(b) {
			t.Errorf("event %d differs:\nrec  %s\nlive %s", i, a, b)
		}
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), "<b>&</b>") {
		t.Error("recording escapes HTML characters; keep it readable")
	}
	// C1 controls (here CSI, U+009B) and DEL from the sandbox are written
	// escaped: printing a recording must not drive the terminal.
	if !strings.Contains(string(raw), `\u009b`) || strings.ContainsAny(string(raw), "\u009b\x7f") {
		t.Errorf("recording holds raw C1/DEL, or lost them: %q", raw)
	}
	var sawCSI bool
	for _, ev := range rec {
		if ev.Kind == KindOutput && strings.Contains(ev.Output.Data, "\u009b 2J\x7f") {
			sawCSI = true
		}
	}
	if !sawCSI {
		t.Error("the escaped C1 output must read back intact")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("recording mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestReadRecordingTruncatedAndDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.jsonl")
	m := &fakeModel{replies: []fakeReply{{text: "hello"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.RecordPath = path })
	s.Run(context.Background(), "go")
	s.Close()
	full, err := ReadRecording(path)
	if err != nil || len(full) < 5 {
		t.Fatalf("%d events, %v", len(full), err)
	}
	raw, _ := os.ReadFile(path)
	// kill -9 mid-line: the last line is cut.
	cut := filepath.Join(dir, "cut.jsonl")
	os.WriteFile(cut, raw[:len(raw)-7], 0o600)
	got, err := ReadRecording(cut)
	if err != nil || len(got) != len(full)-1 {
		t.Fatalf("truncated: %d events (want %d), %v", len(got), len(full)-1, err)
	}
	// A damaged line in the middle is skipped and named; the rest reads.
	lines := strings.SplitAfter(string(raw), "\n")
	lines[2] = "{not json\n"
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(lines, "")), 0o600)
	hdr, got, err := ReadRecordingFile(bad)
	if err != nil || len(got) != len(full)-1 || len(hdr.Skipped) != 1 || hdr.Skipped[0].Line != 3 {
		t.Fatalf("damaged: %d events (want %d), skipped %+v, %v", len(got), len(full)-1, hdr.Skipped, err)
	}
	if got[0].Seq != full[0].Seq || got[1].Seq != full[2].Seq || got[len(got)-1].Seq != full[len(full)-1].Seq {
		t.Fatalf("damaged: the events around the bad line are not the recorded ones")
	}
	if n := SkippedNotice("bad.jsonl", hdr.Skipped); !strings.Contains(n, "line 3 of bad.jsonl is damaged and was skipped (invalid character") {
		t.Fatalf("notice %q", n)
	}
	if _, err := ReadRecording(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestRecordPathUnwritable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	_, err := New(Options{Sandbox: newFakeSandbox(t), Tools: fakeTools(), RecordPath: filepath.Join(f, "x.jsonl")})
	if err == nil || !strings.Contains(err.Error(), "RecordPath") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultRecordDirAndFileName(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if d := DefaultRecordDir(); d != "/data/tether/sessions" {
		t.Errorf("DefaultRecordDir = %s", d)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d := DefaultRecordDir(); d != "/home/u/.local/share/tether/sessions" {
		t.Errorf("DefaultRecordDir = %s", d)
	}
	ts := time.Date(2026, 11, 26, 1, 2, 3, 0, time.FixedZone("x", 3600))
	if n := RecordFileName(ts, "a/b"); n != "20261126T000203Z-a_b.jsonl" {
		t.Errorf("RecordFileName = %s", n)
	}
}

func TestSecretsRedacted(t *testing.T) {
	const secret = "sk-test-SECRET-123456"
	path := filepath.Join(t.TempDir(), "r.jsonl")
	m := &fakeModel{replies: []fakeReply{
		{text: "the key is " + secret, calls: []llm.ToolCall{shCall("c", "echo "+secret)}},
		{err: errSecret(secret)},
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.Secrets = []string{secret, ""}; o.RecordPath = path })
	c := collect(s)
	s.Run(context.Background(), "use "+secret)
	evs := c.finish(t, s)
	b, _ := json.Marshal(evs)
	if strings.Contains(string(b), secret) {
		t.Errorf("secret in events: %s", b)
	}
	if !strings.Contains(string(b), redact.Marker) {
		t.Error("nothing redacted")
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), secret) {
		t.Error("secret in recording")
	}
}

type errSecret string

func (e errSecret) Error() string { return "auth failed for key " + string(e) }

func TestRedactorLeavesOthersAlone(t *testing.T) {
	const key = "abc-secret-0123456789"
	r := newRedactor([]string{key, "abc"}) // "abc" is too short to be a secret
	ev := Event{Kind: KindAction, Action: &Action{Args: nil, Command: "xabc " + key + " x"}}
	orig := ev.Action
	r.event(&ev)
	if ev.Action.Command != "xabc [REDACTED] x" || orig.Command != "xabc "+key+" x" || ev.Action.Args != nil {
		t.Errorf("redact: %+v (orig %+v)", ev.Action, orig)
	}
	var nilR *redactor
	ev2 := Event{Kind: KindUserMessage, Message: &Message{Text: key}}
	nilR.event(&ev2)
	if !reflect.DeepEqual(ev2.Message, &Message{Text: key}) {
		t.Error("nil redactor changed event")
	}
}

// TestOutputRedactsSecretsSplitAcrossWrites writes a key, and a 20-byte
// echo of it, to a tool's output in pieces: no event may carry a fragment.
func TestOutputRedactsSecretsSplitAcrossWrites(t *testing.T) {
	const key = "sk-test-SECRET-1234567890abcdef"
	m := &fakeModel{replies: []fakeReply{{text: "done"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.Secrets = []string{key} })
	c := collect(s)
	w := s.newOutWriter("call1", "stdout")
	for _, p := range []string{"key=sk-t", "est-SEC", "RET-1234567890a", "bcdef\necho ", key[5:25], "\n"} {
		_, _ = w.Write([]byte(p))
	}
	w.flush()
	s.Run(context.Background(), "hi")
	var out strings.Builder
	for _, ev := range c.finish(t, s) {
		if ev.Kind == KindOutput {
			out.WriteString(ev.Output.Data)
		}
	}
	if got := out.String(); got != "key=[REDACTED]\necho [REDACTED]\n" {
		t.Errorf("output events joined: %q", got)
	}
}
