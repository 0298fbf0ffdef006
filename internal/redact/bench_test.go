package redact

import (
	"strings"
	"testing"
)

// Output events are the hot path (~2 M/s through the session): a line of
// build output, a 4 KiB pipe read, with the two keys a user has set.
var benchSecrets = []string{"sk-proj-Jx8fQ2mVbL0pZr7TcWn4Ys9KdHa1Ue6G", "dtn_5b1e22d04c7a9f3e8b6d1a0c2f4e6a8b"}

func benchChunks() map[string]string {
	line := "   Compiling serde_json v1.0.128 (/home/user/.cargo/registry/src/index)\n"
	return map[string]string{
		"line80":  line,
		"chunk4k": strings.Repeat(line, 4096/len(line)),
		"word":    "thinking ",
	}
}

func BenchmarkStreamWrite(b *testing.B) {
	set := New(benchSecrets...)
	for name, chunk := range benchChunks() {
		b.Run(name, func(b *testing.B) {
			st := set.Stream()
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				_ = st.Write(chunk)
			}
		})
	}
}

// BenchmarkStreamWriteBytes is a tool's 64 KiB reads of a flood, each
// ending in a character of a secret (held back for the next): one copy
// of each read, not two.
func BenchmarkStreamWriteBytes(b *testing.B) {
	set := New(benchSecrets...)
	line := "   Compiling serde_json v1.0.128 (/home/user/.cargo/registry/src/index)\n"
	chunk := []byte(strings.Repeat(line, 64<<10/len(line)) + "sk")
	st := set.Stream()
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		_ = st.WriteBytes(chunk)
	}
}

func BenchmarkText(b *testing.B) {
	set := New(benchSecrets...)
	for name, chunk := range benchChunks() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				_ = set.Text(chunk)
			}
		})
	}
	b.Run("chunk4k-with-key", func(b *testing.B) {
		chunk := benchChunks()["chunk4k"] + "key=" + benchSecrets[0] + "\n"
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			_ = set.Text(chunk)
		}
	})
}

// BenchmarkExactOnly is the exact-match redaction this package replaced
// (strings.Contains per secret), for comparison.
func BenchmarkExactOnly(b *testing.B) {
	for name, chunk := range benchChunks() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				s := chunk
				for _, sec := range benchSecrets {
					if strings.Contains(s, sec) {
						s = strings.ReplaceAll(s, sec, Marker)
					}
				}
				_ = s
			}
		})
	}
}
