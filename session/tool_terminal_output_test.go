package session

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestOutputCaptureHeadTail(t *testing.T) {
	// Random chunking: what is shown is always an exact prefix and suffix
	// of the stream, and the spill file holds all of it.
	rng := rand.New(rand.NewPCG(1, 2))
	stream := strings.Repeat("héllo wörld ✓ ", 400) // multi-byte runes at every offset
	for iter := 0; iter < 50; iter++ {
		limit := 50 + rng.IntN(400)
		c := newOutputCapture(limit, 1<<20)
		w := c.writer(nil)
		for rest := stream; rest != ""; {
			n := min(1+rng.IntN(97), len(rest))
			w.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		out := c.render("NOTE")
		if !utf8.ValidString(out) || strings.ContainsRune(out, utf8.RuneError) {
			t.Fatalf("limit %d: broken UTF-8 at a cut: %q", limit, out)
		}
		head, tail, ok := strings.Cut(out, "\n[... Observation truncated: ")
		if !ok {
			t.Fatalf("limit %d: no marker", limit)
		}
		tail = tail[strings.Index(tail, "NOTE ...]\n")+len("NOTE ...]\n"):]
		if !strings.HasPrefix(stream, head) || !strings.HasSuffix(stream, tail) {
			t.Fatalf("limit %d: head/tail not a prefix/suffix", limit)
		}
		if len(head)+len(tail) > limit || len(head)+len(tail) < limit-2*utf8.UTFMax {
			t.Fatalf("limit %d: shows %d bytes", limit, len(head)+len(tail))
		}
		data := make([]byte, c.saved)
		c.spill.ReadAt(data, 0)
		if string(data) != stream {
			t.Fatalf("limit %d: spill differs", limit)
		}
		c.close()
	}
}

func TestOutputCaptureSmallAndCapped(t *testing.T) {
	c := newOutputCapture(100, 1<<20)
	c.writer(nil).Write([]byte("short\x00output\xff"))
	if got := c.render("x"); got != "short\u2400output\uFFFD" || c.truncated() {
		t.Fatalf("render %q", got)
	}
	c.close()
	// The saved copy stops at maxSaved; the counters go on.
	c = newOutputCapture(10, 25)
	w := c.writer(nil)
	for range 10 {
		w.Write([]byte("0123456789"))
	}
	total, saved := c.sizes()
	if total != 100 || saved != 25 {
		t.Fatalf("total %d saved %d", total, saved)
	}
	c.close()
}
