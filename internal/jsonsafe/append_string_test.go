package jsonsafe

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
)

// viaEncoder is what AppendString must equal: encoding/json (no HTML
// escaping) through Writer, without the newline Encode adds.
func viaEncoder(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(Writer(&buf))
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func checkAppendString(t testing.TB, s string) {
	want := viaEncoder(t, s)
	if got := string(AppendString(nil, s)); got != want {
		t.Fatalf("AppendString(%q)\n got %q\nwant %q", s, got, want)
	}
	if got := string(AppendBytes([]byte("prefix"), []byte(s))); got != "prefix"+want {
		t.Fatalf("AppendBytes(%q)\n got %q\nwant %q", s, got, "prefix"+want)
	}
}

// hostileStrings covers each escape alone, at every offset of an 8-byte
// word and next to plain text: what the word-at-a-time scan could miss.
var hostileStrings = []string{
	"", "a", "plain ascii text that is longer than one word",
	"\x1b[31mred\x1b[0m\r\n", "\x1b]0;title\x07", "\x1bP+q\x1b\\", "\x00\x01\x1f\x7f",
	"\b\f\n\r\t", `"quoted" \back\slash\`, "<html> & 'single'",
	"\u0080\u0085\u009b6n\u009d0;x\u009c\u009f", "\u00a0\u00ff é ü ß",
	"\u2028line\u2029para", "\u2027\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 bidi",
	"\xff\xfe invalid", "\xc2", "\xc2\x9b", "\xc2\x7f", "\xc3\x28", "\xe2\x80", "\xe2\x80\xa8", "\xe2\x28\xa1",
	"\xed\xa0\x80 surrogate", "\xf0\x9f\x98\x80 emoji \xf0\x9f\x98", "\xf4\x90\x80\x80 too big", "\xc0\xaf overlong",
	"\ufffd replacement", "数据 données →✓—",
}

func TestAppendStringIsWhatEncoderAndWriterWrite(t *testing.T) {
	for _, s := range hostileStrings {
		checkAppendString(t, s)
		for pad := range 9 {
			p := strings.Repeat("x", pad)
			checkAppendString(t, p+s)
			checkAppendString(t, p+s+p+s+"tail after it")
		}
	}
	// Every byte value at every position of a word.
	for c := range 256 {
		for pad := range 16 {
			checkAppendString(t, strings.Repeat("y", pad)+string([]byte{byte(c)})+"0123456789abcdef")
		}
	}
	// Random strings biased towards the bytes that need care.
	rng := rand.New(rand.NewPCG(7, 11))
	alphabet := []byte("aZ09 \"\\\x00\x1b\x1f\x7f\x80\x9b\x9f\xa8\xa9\xc2\xc3\xe2\x80\xed\xf0\xf4\xff\r\n\t")
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		checkAppendString(t, string(b))
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkAppendString(t, s) })
}

// AppendString must leave nothing a terminal acts on, and read back as s
// (valid UTF-8) as any JSON decoder reads it.
func TestAppendStringIsInertAndReadsBack(t *testing.T) {
	s := "\x1b[2J\x1b]52;c;aGk=\x07\u009b6n\u009d0;t\u009c\x7f\u2028é"
	out := AppendString(nil, s)
	for _, b := range out {
		if b < 0x20 || b == 0x7f {
			t.Fatalf("raw control %#x in %q", b, out)
		}
	}
	if bytes.Contains(out, []byte("\xc2\x9b")) || bytes.Contains(out, []byte("\xc2\x9d")) {
		t.Fatalf("raw C1 in %q", out)
	}
	var back string
	if err := json.Unmarshal(out, &back); err != nil || back != s {
		t.Fatalf("read back %q, %v", back, err)
	}
}

func BenchmarkAppendString(b *testing.B) {
	line := "\x1b[1;32mPASS\x1b[0m  ./pkg/données/worker \x1b[2m(0.123s)\x1b[0m résumé → ✓ item 0042\r\n"
	text := strings.Repeat(line, 64<<10/len(line))
	b.Run("AppendString", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		var buf []byte
		defer cpuPerOp(b)()
		for b.Loop() {
			buf = AppendString(buf[:0], text)
		}
	})
	b.Run("Encoder+Writer", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		var buf bytes.Buffer
		enc := json.NewEncoder(Writer(&buf))
		enc.SetEscapeHTML(false)
		defer cpuPerOp(b)()
		for b.Loop() {
			buf.Reset()
			_ = enc.Encode(text)
		}
	})
}

// cpuPerOp reports the process's CPU time per op: steadier than the wall
// clock on a loaded machine.
func cpuPerOp(b *testing.B) func() {
	cpu := func() int64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}
