package daytona

import (
	"bytes"
	"testing"
)

// TestMarksSplitAnywhere: markers are found wherever the frames split
// them, output around them passes unchanged (a lone \x1e, a half nonce),
// and only a possible marker start is ever held back.
func TestMarksSplitAnywhere(t *testing.T) {
	stream := []byte("junk\x1eabcdS\x1eout\x1e\x1eab\x00\xffmore\x1eabcdX3\x1etail\x1eabcdC\x1eignored")
	for split := 1; split <= len(stream); split++ {
		m := newDtMarks("abcd")
		var got bytes.Buffer
		var marks []string
		started := false
		data := func(b []byte) {
			if started {
				got.Write(b)
			}
		}
		mark := func(kind byte, payload string) bool {
			marks = append(marks, string(kind)+payload)
			started = started || kind == 'S'
			return kind == 'C'
		}
		for i := 0; i < len(stream); i += split {
			m.push(stream[i:min(i+split, len(stream))], data, mark)
		}
		if want := "out\x1e\x1eab\x00\xffmoretail"; got.String() != want || len(marks) != 3 || marks[1] != "X3" {
			t.Fatalf("split %d: data %q, marks %q", split, got.String(), marks)
		}
	}
	// Held back: only a tail that could start a marker, given on flush.
	m := newDtMarks("abcd")
	var got bytes.Buffer
	m.push([]byte("partial\x1eab"), func(b []byte) { got.Write(b) }, func(byte, string) bool { return false })
	if got.String() != "partial" {
		t.Errorf("delivered %q before the marker start was settled", got.String())
	}
	m.flush(func(b []byte) { got.Write(b) })
	if got.String() != "partial\x1eab" {
		t.Errorf("flush: %q", got.String())
	}
}
