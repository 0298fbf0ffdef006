package session

import (
	"runtime"
	"strings"
	"testing"
)

func outputEvent(data string) Event {
	return Event{Kind: KindOutput, Output: &Output{ToolCallID: "c1", Stream: "stdout", Data: data}}
}

// A lagging reader's flood merges into one queued event whose buffer grows
// by doubling: 16 chunks of 64 KiB allocate about twice the 1 MiB they
// hold, not the ~4-5 times append's 1.25x growth of large slices cost.
// What is delivered is the text itself, not a copy, and it does not change
// when more output arrives after it.
func TestLiveOutputMergesWithoutRecopying(t *testing.T) {
	b := newBus(nil, newRedactor(nil), 4<<20, nil)
	defer b.close()
	ch := b.events()
	// The delivery holds the first event (another stream) until it is
	// read, so everything after it queues and merges.
	first := strings.Repeat("a", 100)
	ev := outputEvent(first)
	ev.Output.Stream = "stderr"
	b.publish(ev)
	chunk := strings.Repeat("x", 64<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 16 {
		b.publish(outputEvent(chunk))
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3<<20 {
		t.Errorf("merging 1 MiB of output allocated %d bytes, want under 3 MiB", alloc)
	}
	got := <-ch
	merged := <-ch
	if n := len(merged.Output.Data); n != 16*len(chunk) {
		t.Fatalf("merged event holds %d bytes, want %d", n, 16*len(chunk))
	}
	b.publish(outputEvent(strings.Repeat("y", 64<<10)))
	if got.Output.Data != first || strings.Trim(merged.Output.Data, "x") != "" {
		t.Fatal("a delivered event's text changed when more output came")
	}
}
