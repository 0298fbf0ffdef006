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
