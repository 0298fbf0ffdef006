package tailbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestKeepsTheLastBytes(t *testing.T) {
	b := New(4)
	for _, s := range []string{"ab", "cd", "ef", "g"} {
		b.Write([]byte(s))
	}
	tail, dropped := b.Tail()
	if string(tail) != "defg" || dropped != 3 || b.Total() != 7 {
		t.Fatalf("Tail = %q, %d dropped, total %d; want \"defg\", 3, 7", tail, dropped, b.Total())
	}
	b.Write([]byte("0123456789"))
	if tail, dropped := b.Tail(); string(tail) != "6789" || dropped != 13 {
		t.Fatalf("after a write longer than max: %q, %d dropped", tail, dropped)
	}
}

func TestShortStreamIsKeptWhole(t *testing.T) {
	b := New(16)
	b.Write([]byte("hello"))
	if tail, dropped := b.Tail(); string(tail) != "hello" || dropped != 0 {
		t.Fatalf("Tail = %q, %d dropped", tail, dropped)
	}
}

func TestTailIsACopy(t *testing.T) {
	b := New(8)
	b.Write([]byte("abc"))
	tail, _ := b.Tail()
	tail[0] = 'X'
	if again, _ := b.Tail(); string(again) != "abc" {
		t.Fatalf("changing the returned tail changed the buffer: %q", again)
	}
}

func TestConcurrentWriters(t *testing.T) {
	b := New(100)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	tail, dropped := b.Tail()
	if string(tail) != strings.Repeat("x", 100) || dropped != 3900 {
		t.Fatalf("got %d bytes kept, %d dropped", len(tail), dropped)
	}
}
