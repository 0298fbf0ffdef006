package session

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// A reader that does not read at all must not hold up the agent, and once
// it reads, every event that matters is there, in order, with the
// output flood coalesced and bounded.
func TestSlowReaderDoesNotBlockAgent(t *testing.T) {
	const floodBytes = 2 << 20
	path := filepath.Join(t.TempDir(), "r.jsonl")
	var calls []llm.ToolCall
	for i := range 5 {
		calls = append(calls, shCall(fmt.Sprint("c", i), fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x # %d", floodBytes/5, i)))
	}
	m := &fakeModel{replies: []fakeReply{{text: "flooding", calls: calls}, {text: "done"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.RecordPath = path; o.LiveBufferBytes = 16 << 10 })
	events := s.Events() // subscribed, but nobody reads yet
	res, err := s.Run(context.Background(), "flood")
	if err != nil || res.Status != StateFinished {
		t.Fatalf("run blocked or failed with an idle reader: %+v %v", res, err)
	}
	// Now read slowly.
	var evs []Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			evs = append(evs, ev)
			if ev.Kind == KindOutput {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	var liveBytes, actions, observations int
	elided := false
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("seq gap at %d: %d", i, ev.Seq)
		}
		switch ev.Kind {
		case KindOutput:
			liveBytes += len(ev.Output.Data)
			elided = elided || strings.Contains(ev.Output.Data, "bytes elided from live view")
		case KindAction:
			actions++
		case KindObservation:
			observations++
		}
	}
	last := evs[len(evs)-1]
	if actions != 5 || observations != 5 || last.Kind != KindState || last.State.To != StateFinished {
		t.Fatalf("critical events lost: %d actions, %d observations, last %s", actions, observations, kinds(evs[len(evs)-1:]))
	}
	if !elided || liveBytes > 16<<10+4096 {
		t.Errorf("live view held %d bytes (elided marker %v); want ≤ ~16 KiB", liveBytes, elided)
	}
	// The recording has every byte.
	rec, err := ReadRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	recBytes := 0
	for _, ev := range rec {
		if ev.Kind == KindOutput {
			recBytes += len(ev.Output.Data)
			if strings.Trim(ev.Output.Data, "x") != "" {
				t.Fatalf("recorded output has foreign text: %.80q", ev.Output.Data)
			}
		}
	}
	if recBytes != floodBytes/5*5 {
		t.Errorf("recording has %d output bytes, want %d", recBytes, floodBytes/5*5)
	}
	if len(rec) != len(evs) {
		t.Errorf("recording has %d events, live %d", len(rec), len(evs))
	}
}

func TestCoalescingKeepsDataWhenUnderCap(t *testing.T) {
	b := newBus(nil, nil, 0, nil)
	for i := range 100 {
		b.publish(Event{Kind: KindOutput, Output: &Output{ToolCallID: "a", Stream: "stdout", Data: fmt.Sprint(i, ",")}})
		if i == 50 {
			b.publish(Event{Kind: KindOutput, Output: &Output{ToolCallID: "a", Stream: "stderr", Data: "E"}})
		}
	}
	b.publish(Event{Kind: KindState, State: &StateChange{To: StateFinished}})
	ch := b.events()
	go b.close()
	var got []Event
	for ev := range ch {
		got = append(got, ev)
	}
	// The delivery goroutine may already hold the first chunk; everything
	// published after it while nobody read is merged per stream.
	if len(got) > 5 || got[len(got)-1].Kind != KindState {
		t.Fatalf("not coalesced: %s", kinds(got))
	}
	var stdout, stderr strings.Builder
	for _, ev := range got[:len(got)-1] {
		if ev.Output.Stream == "stderr" {
			stderr.WriteString(ev.Output.Data)
		} else {
			stdout.WriteString(ev.Output.Data)
		}
	}
	want := ""
	for i := range 100 {
		want += fmt.Sprint(i, ",")
	}
	if stdout.String() != want || stderr.String() != "E" {
		t.Errorf("coalesced data = %q / %q", stdout.String(), stderr.String())
	}
	for i, ev := range got {
		if ev.Seq != int64(i+1) {
			t.Errorf("seq %d at %d", ev.Seq, i)
		}
	}
}

func TestCloseWithoutReaderDoesNotHang(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "hi"}}}
	s, _ := newTestSession(t, m, nil)
	s.Events() // subscribed but never read
	if _, err := s.Run(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs when the reader stopped reading")
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 5 {
		m := &fakeModel{replies: []fakeReply{
			{calls: []llm.ToolCall{shCall("a", "echo a")}},
			{text: "x", hang: true},
		}}
		s, _ := newTestSession(t, m, func(o *Options) { o.StepMode = true })
		c := collect(s)
		s.Send("go")
		s.Shell("echo user")
		waitPending(t, s, c, "a")
		s.Approve()
		c.waitFor(t, "delta", func(ev Event) bool { return ev.Kind == KindAssistantDelta })
		c.finish(t, s) // Close with a run hanging in the LLM
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// Interleaved streams flooding a stalled reader stay bounded in events
// as well as bytes, and the recording still has every byte of each.
func TestInterleavedFloodBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rec, err := openRecorder(path, RecordHeader{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := newBus(rec, newRedactor(nil), 8<<10, nil)
	ch := b.events() // subscribed, not read
	var want [2]strings.Builder
	streams := [2]string{"stdout", "stderr"}
	for i := range 4000 {
		data := strings.Repeat(string(rune('a'+i%26)), 1000)
		want[i%2].WriteString(data)
		b.publish(Event{Kind: KindOutput, Output: &Output{ToolCallID: "c", Stream: streams[i%2], Data: data}})
	}
	b.publish(Event{Kind: KindState, State: &StateChange{To: StateFinished}})
	b.mu.Lock()
	queued := len(b.queue) - b.head
	b.mu.Unlock()
	if queued > 20 {
		t.Errorf("%d events queued for a stalled reader; want a handful", queued)
	}
	go b.close()
	var live []Event
	for ev := range ch {
		live = append(live, ev)
	}
	rec.close()
	got, err := ReadRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(live) {
		t.Fatalf("recording has %d events, live %d", len(got), len(live))
	}
	var have [2]strings.Builder
	for _, ev := range got {
		if ev.Kind == KindOutput {
			if ev.Output.Stream == "stdout" {
				have[0].WriteString(ev.Output.Data)
			} else {
				have[1].WriteString(ev.Output.Data)
			}
		}
	}
	for i := range 2 {
		if have[i].String() != want[i].String() {
			t.Errorf("%s: recorded %d bytes, want %d (or order differs)", streams[i], have[i].Len(), want[i].Len())
		}
	}
}
