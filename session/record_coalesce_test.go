package session

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRecordingCoalescesStreamedChunks: a reply streamed four characters
// at a time, and a command's stdout and stderr interleaved, are written as
// a few lines per window, and read back as the same events with the same
// text in the same order.
func TestRecordingCoalescesStreamedChunks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rec, err := openRecorder(path, RecordHeader{ConversationID: "c"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var reply strings.Builder
	for i := range 5000 {
		chunk := "tok" + string(rune('a'+i%26))
		reply.WriteString(chunk)
		// 5000 chunks over 2.5 s: about 25 windows of 100 ms.
		ev := Event{ID: "e2", Seq: 2, Kind: KindAssistantDelta, Time: t0.Add(time.Duration(i) * 500 * time.Microsecond), Message: &Message{Text: chunk}}
		if err := rec.event(&ev); err != nil {
			t.Fatal(err)
		}
	}
	at := t0.Add(3 * time.Second)
	events := []Event{
		{ID: "e3", Seq: 3, Kind: KindAssistantMessage, Time: at, Message: &Message{Text: reply.String()}},
		{ID: "e4", Seq: 4, Kind: KindOutput, Time: at, Output: &Output{ToolCallID: "c1", Stream: "stdout", Data: "out1 "}},
		{ID: "e4", Seq: 4, Kind: KindOutput, Time: at, Output: &Output{ToolCallID: "c1", Stream: "stdout", Data: "out2 "}},
		{ID: "e5", Seq: 5, Kind: KindOutput, Time: at, Output: &Output{ToolCallID: "c1", Stream: "stderr", Data: "err1 "}},
		{ID: "e6", Seq: 6, Kind: KindOutput, Time: at, Output: &Output{ToolCallID: "c1", Stream: "stdout", Data: "out3"}},
	}
	for i := range events {
		if err := rec.event(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lines := bytes.Count(data, []byte("\n"))
	if lines > 40 {
		t.Errorf("5000 chunks took %d lines: not coalesced", lines)
	}
	if lines < 25 {
		t.Errorf("%d lines: a window of more than 100 ms was joined", lines)
	}
	_, got, err := ReadRecordingFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range got {
		s := string(ev.Kind)
		if ev.Output != nil {
			s += ":" + ev.Output.Stream + ":" + ev.Output.Data
		}
		kinds = append(kinds, s)
	}
	want := []string{"assistant_delta", "assistant_message", "output:stdout:out1 out2 ", "output:stderr:err1 ", "output:stdout:out3"}
	if strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Fatalf("read back %q, want %q", kinds, want)
	}
	if got[0].Message.Text != reply.String() {
		t.Fatalf("streamed text read back as %d bytes, want %d", len(got[0].Message.Text), reply.Len())
	}
}
