package session

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

func TestEmptyOrForeignRecordingIsAClearError(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
		empty      bool
	}{
		{write("zero.jsonl", ""), "the file is empty (was the disk full", true},
		{write("hdr.jsonl", `{"type":"tether_session","format_version":1,"conversation_id":"c"}`+"\n"), "it has a header and nothing else", true},
		{write("foreign.jsonl", "hello\nworld\n"), "is not a tether recording: line 1", false},
		{fifo, "is not a regular file", false}, // and the open does not block
	} {
		_, evs, err := ReadRecordingFile(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrEmptyRecording) != tc.empty || len(evs) != 0 {
			t.Errorf("%s: %d events, %v; want an error saying %q", filepath.Base(tc.path), len(evs), err, tc.want)
		}
	}
}

func TestManyDamagedLinesAreCountedInOneNotice(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"tether_session","format_version":1,"conversation_id":"c"}` + "\n")
	for i := range 30 {
		if i%2 == 0 {
			b.WriteString(`{"kind":"error","seq":1,"error":{"message":"x"}}` + "\n")
		} else {
			b.WriteString("\x00\x00garbage\n")
		}
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	os.WriteFile(path, []byte(b.String()), 0o600)
	hdr, evs, err := ReadRecordingFile(path)
	if err != nil || len(evs) != 15 || len(hdr.Skipped) != 15 {
		t.Fatalf("%d events, %d skipped, %v", len(evs), len(hdr.Skipped), err)
	}
	n := SkippedNotice("r.jsonl", hdr.Skipped)
	if !strings.HasPrefix(n, "15 damaged lines of r.jsonl were skipped (lines 3, 5, 7,") || !strings.Contains(n, "and 5 more") {
		t.Fatalf("notice %q", n)
	}
}

func TestAnOverlongLineIsSkippedWithoutBeingKept(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 1000) + "\nafter"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	var longs []bool
	for {
		line, long, err := readLine(br, 100)
		got, longs = append(got, string(line)), append(longs, long)
		if err != nil {
			break
		}
	}
	if len(got) != 3 || got[0] != "short\n" || got[1] != "" || !longs[1] || got[2] != "after" || longs[2] {
		t.Fatalf("lines %q long %v", got, longs)
	}
}

func TestResumeOfARecordingWithADamagedLineGoesOnAndSaysSo(t *testing.T) {
	rec, _, sb := recordThreeSteps(t)
	data, _ := os.ReadFile(rec)
	lines := strings.SplitAfter(string(data), "\n")
	damaged := 0
	for i, l := range lines {
		if strings.Contains(l, `"kind":"usage"`) {
			lines[i], damaged = `{"kind":"usage","seq":`+"\x00\n", i+1
			break
		}
	}
	if damaged == 0 {
		t.Fatal("no usage line to damage")
	}
	os.WriteFile(rec, []byte(strings.Join(lines, "")), 0o600)
	if st := ResumeState(rec); st != "resumable" {
		t.Fatalf("ResumeState = %q, want resumable", st)
	}
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("carried on"))
	client, _ := llm.New(srv.Config("m1"))
	s, err := Resume(context.Background(), sb, rec, Options{Model: client})
	if err != nil {
		t.Fatal(err)
	}
	c := collect(s)
	if err := s.Send("and now?"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var notice string
	for _, ev := range c.finish(t, s) {
		if ev.Kind == KindError && ev.Error != nil && strings.Contains(ev.Error.Message, "is damaged and was skipped") {
			notice = ev.Error.Message
		}
	}
	if want := "line " + strconv.Itoa(damaged) + " of " + rec; !strings.HasPrefix(notice, want) {
		t.Fatalf("notice %q, want it to start %q", notice, want)
	}
	if len(srv.Requests()) != 1 {
		t.Fatalf("%d model calls after the resume, want 1", len(srv.Requests()))
	}
}
