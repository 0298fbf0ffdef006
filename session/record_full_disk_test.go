package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// /dev/full opens like a file and fails every write with ENOSPC: a disk
// that is full from the first byte.
func TestAFullDiskAtStartRunsUnrecordedAndSaysSo(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	m := &fakeModel{replies: []fakeReply{{text: "done"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.RecordPath = "/dev/full" })
	c := collect(s)
	res, err := s.Run(context.Background(), "go")
	if err != nil || res.FinalMessage != "done" {
		t.Fatalf("the run did not go on: %+v %v", res, err)
	}
	if res.RecordPath != "" || !strings.Contains(res.RecordError, "no space left on device") {
		t.Fatalf("result record_path %q record_error %q", res.RecordPath, res.RecordError)
	}
	if !sawNotice(c.finish(t, s), "recording stopped: ") {
		t.Fatal("no event says the session is not recorded")
	}
}

func TestARecordingThatFailsMidRunSaysSoOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	m := &fakeModel{replies: []fakeReply{{text: "one"}, {text: "two"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.RecordPath = path })
	c := collect(s)
	if _, err := s.Run(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.rec.mu.Lock()
	s.rec.f.Close()
	s.rec.f = full // the disk fills up
	s.rec.mu.Unlock()
	res, err := s.Run(context.Background(), "second")
	if err != nil || res.FinalMessage != "two" {
		t.Fatalf("the run did not go on: %+v %v", res, err)
	}
	if res.RecordPath != path || !strings.Contains(res.RecordError, "no space left on device") {
		t.Fatalf("result record_path %q record_error %q", res.RecordPath, res.RecordError)
	}
	evs := c.finish(t, s)
	n := 0
	for _, ev := range evs {
		if ev.Kind == KindError && strings.HasPrefix(ev.Error.Message, "recording stopped: write recording "+path) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
	if _, evs, err := ReadRecordingFile(path); err != nil || len(evs) == 0 {
		t.Fatalf("what was recorded before the disk filled: %d events, %v", len(evs), err)
	}
}

func sawNotice(evs []Event, prefix string) bool {
	for _, ev := range evs {
		if ev.Kind == KindError && ev.Error != nil && strings.HasPrefix(ev.Error.Message, prefix) {
			return true
		}
	}
	return false
}
