package llm

import (
	"strings"
	"testing"
)

// TestTextBufKeepsTextWhole: whatever the sizes written, small texts in
// blocks and large ones in the one array, String gives back exactly what
// was written, and a write after String leaves the string handed out
// unchanged.
func TestTextBufKeepsTextWhole(t *testing.T) {
	for _, limit := range []int{0, 4 << 10, 1 << 20} {
		var b textBuf
		b.limit = limit
		var want strings.Builder
		for i := range 3000 {
			piece := strings.Repeat(string(rune('a'+i%26)), 1+i%97)
			b.WriteString(piece)
			want.WriteString(piece)
		}
		got := b.String()
		if got != want.String() || b.Len() != want.Len() {
			t.Fatalf("limit %d: %d bytes back of %d, equal %v", limit, len(got), want.Len(), got == want.String())
		}
		b.WriteString("more")
		if got != want.String() {
			t.Fatalf("limit %d: a write after String changed the string handed out", limit)
		}
		if b.String() != want.String()+"more" {
			t.Fatalf("limit %d: write after String lost", limit)
		}
	}
	var empty textBuf
	if empty.String() != "" || empty.Len() != 0 {
		t.Fatal("empty buffer")
	}
}

// TestTextBufReservesOnlyWhatTheReplyMayStillGrow: the one array of a
// large text is sized for the reply's remaining budget, so several large
// buffers of one reply do not each reserve the whole limit.
func TestTextBufReservesOnlyWhatTheReplyMayStillGrow(t *testing.T) {
	const limit = 1 << 20
	used := 700 << 10 // held by the reply's other buffers
	b := textBuf{limit: limit, used: &used}
	piece := strings.Repeat("x", 1000)
	for b.Len() <= limit/8 {
		b.WriteString(piece)
		used += len(piece)
	}
	if b.big == nil {
		t.Fatal("a text past an eighth of the limit is still in blocks")
	}
	if c, most := cap(b.big), limit-700<<10+len(piece)+textBlockMax; c > most {
		t.Fatalf("reserved %d bytes, more than the %d the reply may still grow to", c, most)
	}
}
