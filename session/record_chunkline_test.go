package session

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
)

// encoderLine is the line the recorder's json.Encoder (through
// jsonsafe) writes for ev: what a chunk line must be, byte for byte.
func encoderLine(t testing.TB, ev *Event) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(jsonsafe.Writer(&buf))
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func chunkLine(t testing.TB, ev *Event) string {
	line, ok := appendChunkHead([]byte("earlier line\n"), ev)
	if !ok {
		t.Fatalf("no chunk line for %+v", ev)
	}
	text, _ := chunkText(ev)
	line = jsonsafe.AppendString(line, text)
	return strings.TrimPrefix(string(append(line, "}}\n"...)), "earlier line\n")
}

var hostileChunkTexts = []string{
	"", "plain line\r\n", "\x1b[1;31mred\x1b[0m\r\n\x1b]0;title\x07\x1b[2J", "\x00\x7f\u0085\u009b6n\u009d52;c;x\u009c",
	`"quotes" and \backslashes\ and </script> & <b>`, "\u2028\u2029 \u202e\u2066bidi\u2069\u202c", "\xff\xc2 invalid \xe2\x80 \xed\xa0\x80",
	"résumé 数据 → ✓ \U0001F600", strings.Repeat("\x1b[32mok\x1b[0m é\r\n", 5000),
}

// TestChunkLinesAreWhatTheEncoderWrites: the hand-written line of an
// output or assistant-text chunk is byte for byte what encoding/json
// through jsonsafe writes, for hostile ids, streams and text, in every
// time zone a clock may be in.
func TestChunkLinesAreWhatTheEncoderWrites(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 12, 3, 14, 30, 47, 123456789, time.UTC),
		time.Date(2026, 12, 3, 14, 30, 47, 0, time.UTC),
		time.Date(2026, 12, 3, 14, 30, 47, 120000000, time.FixedZone("x", 5*3600+30*60)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("y", -11*3600)),
		time.Now(), // local, with a monotonic reading
	}
	ids := []string{"e1", "e\x1b[2J\u009b", `e"\`}
	tools := []string{"call_abc123", "", "\x1b]8;;http://x\x07link\u2028", "\xff"}
	for _, at := range times {
		for _, id := range ids {
			for _, tool := range tools {
				for _, text := range hostileChunkTexts {
					for _, ev := range []Event{
						{ID: id, Seq: 42, Time: at, Kind: KindOutput, Output: &Output{ToolCallID: tool, Stream: "stdout", Data: text}},
						{ID: id, Seq: -1, Time: at, Kind: KindOutput, Output: &Output{ToolCallID: tool, Stream: tool, Data: text}},
						{ID: id, Seq: 1 << 62, Time: at, Kind: KindAssistantDelta, Message: &Message{Text: text}},
					} {
						if got, want := chunkLine(t, &ev), encoderLine(t, &ev); got != want {
							t.Fatalf("chunk line\n got %.300q\nwant %.300q", got, want)
						}
					}
				}
			}
		}
	}
}

func FuzzChunkLine(f *testing.F) {
	for _, s := range hostileChunkTexts {
		f.Add("e1", "call_1", "stdout", s, int64(1764772247123456789), 0)
	}
	f.Fuzz(func(t *testing.T, id, tool, stream, text string, ns int64, offset int) {
		at := time.Unix(0, ns).In(time.FixedZone("z", offset%(24*3600)))
		ev := Event{ID: id, Seq: ns, Time: at, Kind: KindOutput, Output: &Output{ToolCallID: tool, Stream: stream, Data: text}}
		if _, err := json.Marshal(at); err != nil {
			if _, ok := appendChunkHead(nil, &ev); ok {
				t.Fatalf("a line for a time encoding/json refuses (%v)", err)
			}
			return
		}
		if got, want := chunkLine(t, &ev), encoderLine(t, &ev); got != want {
			t.Fatalf("chunk line\n got %.300q\nwant %.300q", got, want)
		}
	})
}

// TestChunksTheEncoderMustWrite: a chunk event carrying anything the
// hand-written line does not (a second payload, a time RFC 3339 cannot
// hold) is not written by it: it goes the way of every other event.
func TestChunksTheEncoderMustWrite(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 30, 47, 0, time.UTC)
	for name, ev := range map[string]Event{
		"second payload": {ID: "e1", Seq: 1, Time: at, Kind: KindOutput, Output: &Output{Data: "x"}, Error: &ErrorInfo{Message: "m"}},
		"year 10000":     {ID: "e1", Seq: 1, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: KindOutput, Output: &Output{Data: "x"}},
		"zone of 24 h":   {ID: "e1", Seq: 1, Time: at.In(time.FixedZone("z", 24*3600)), Kind: KindOutput, Output: &Output{Data: "x"}},
		"wrong kind":     {ID: "e1", Seq: 1, Time: at, Kind: KindAssistantDelta, Output: &Output{Data: "x"}},
		"reasoning":      {ID: "e1", Seq: 1, Time: at, Kind: KindReasoningDelta, Message: &Message{Text: "x"}},
	} {
		if _, ok := appendChunkHead(nil, &ev); ok {
			t.Errorf("%s: written by the chunk encoder", name)
		}
	}
}

// TestRecordedChunkLines: what the recorder writes for a flood's chunks
// (each alone on its line), for a stream coalesced into one line, and for
// a chunk the hand-written line cannot hold, is each time the line the
// encoder writes for that event with its (joined) text; and a time that
// cannot be encoded stops the recording as it did.
func TestRecordedChunkLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rec, err := openRecorder(path, RecordHeader{ConversationID: "c"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 14, 30, 47, 5, time.FixedZone("cet", 3600))
	big := strings.Repeat("\x1b[32mPASS\x1b[0m données\r\n", 64<<10/24+1) // over coalesceBytes: alone
	out := func(seq int64, data string, at time.Duration) Event {
		return Event{ID: "e" + string(rune('0'+seq)), Seq: seq, Time: t0.Add(at), Kind: KindOutput, Output: &Output{ToolCallID: "c\x1b1", Stream: "stdout", Data: data}}
	}
	evs := []Event{
		out(2, big, 0), out(2, big, time.Millisecond), // two lines
		out(3, "a\u009b", 0), out(3, "\xc2", time.Millisecond), out(3, "\x9b\u2028", 2*time.Millisecond), // one line
		{ID: "e4", Seq: 4, Time: t0, Kind: KindAssistantDelta, Message: &Message{Text: "tok\x1b"}},
		{ID: "e4", Seq: 4, Time: t0, Kind: KindAssistantDelta, Message: &Message{Text: "en\u0085"}},
		{ID: "e5", Seq: 5, Time: t0, Kind: KindOutput, Output: &Output{Stream: "stderr", Data: "odd"}, Error: &ErrorInfo{Message: "odd"}},
	}
	for i := range evs {
		if err := rec.event(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.close(); err != nil {
		t.Fatal(err)
	}
	joined := func(ev Event, texts ...string) string {
		if ev.Output != nil {
			o := *ev.Output
			o.Data = strings.Join(texts, "")
			ev.Output = &o
		} else {
			ev.Message = &Message{Text: strings.Join(texts, "")}
		}
		return encoderLine(t, &ev)
	}
	want := joined(evs[0], big) + joined(evs[1], big) + joined(evs[2], "a\u009b", "\xc2", "\x9b\u2028") +
		joined(evs[5], "tok\x1b", "en\u0085") + encoderLine(t, &evs[7])
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, got, _ := bytes.Cut(data, []byte("\n")) // after the header
	if string(got) != want {
		t.Fatalf("recorded\n%.600q\nwant\n%.600q", got, want)
	}

	// A time encoding/json refuses stops the recording, as before.
	rec, err = openRecorder(filepath.Join(t.TempDir(), "r.jsonl"), RecordHeader{ConversationID: "c"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := out(2, "x", 0)
	bad.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_ = rec.event(&bad)
	rec.close()
	if f := rec.failure(); !strings.Contains(f, "encode recording line") {
		t.Fatalf("recording after a time of year 10000: %q", f)
	}
}
