package session

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tether-dev/tether/internal/redact"
)

// TestOutputWriterKeepsCharactersAndSecretsWhole writes text with
// multi-byte characters and secrets to a tool's output writer in random
// pieces, each from one buffer the caller overwrites after the write (as
// the shell's reader does with its 64 KiB buffer): every event is whole
// characters, and the events (live and recorded) join to the text with
// every secret masked, nothing of the caller's later bytes in them.
func TestOutputWriterKeepsCharactersAndSecretsWhole(t *testing.T) {
	const key = "sk-test-SECRET-1234567890abcdef"
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"plain ", "é", "数据", "→", "\U0001F600", "\x1b[31m", "\r\n", key, key[3:20], "sk-t", "x"}
	for round := range 40 {
		secrets := []string{key}
		if round%4 == 0 {
			secrets = nil // no redaction: the bytes as they are
		}
		var text strings.Builder
		for text.Len() < 20000 {
			text.WriteString(pieces[rng.IntN(len(pieces))])
		}
		path := filepath.Join(t.TempDir(), "r.jsonl")
		s, _ := newTestSession(t, nil, func(o *Options) { o.Secrets, o.RecordPath = secrets, path })
		c := collect(s)
		w := s.newOutWriter("call1", "stdout")
		buf := make([]byte, 4096)
		for rest := text.String(); rest != ""; {
			k := min(len(rest), 1+rng.IntN(700))
			n := copy(buf, rest[:k])
			_, _ = w.Write(buf[:n])
			for i := range buf[:n] {
				buf[i] = 0xff // the caller reuses its buffer
			}
			rest = rest[k:]
		}
		w.flush()
		s.Close()
		<-c.done
		want := redact.Text(text.String(), secrets)
		var live strings.Builder
		for _, ev := range c.events() {
			if ev.Kind != KindOutput {
				continue
			}
			if !utf8.ValidString(ev.Output.Data) {
				t.Fatalf("round %d: an event cuts a character: %q", round, ev.Output.Data)
			}
			live.WriteString(ev.Output.Data)
		}
		if live.String() != want {
			t.Fatalf("round %d: live output differs from the text redacted (%d vs %d bytes)", round, live.Len(), len(want))
		}
		evs, err := ReadRecording(path)
		if err != nil {
			t.Fatal(err)
		}
		var recorded strings.Builder
		for _, ev := range evs {
			if ev.Kind == KindOutput {
				recorded.WriteString(ev.Output.Data)
			}
		}
		if recorded.String() != want {
			t.Fatalf("round %d: recorded output differs from the text redacted (%d vs %d bytes)", round, recorded.Len(), len(want))
		}
	}
}
