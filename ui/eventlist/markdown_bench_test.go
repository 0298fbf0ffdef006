package eventlist

import (
	"strings"
	"testing"
)

// sampleReply is a typical long answer: headings, prose, a list and code.
func sampleReply(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString("## Step\n\nThe build failed because **two** packages import each other; `go vet` says so too.\n\n")
		b.WriteString("- move the shared type to `internal/types`\n- import it from both\n\n")
		b.WriteString("```go\nfunc main() {\n\tfmt.Println(\"hello\") // greet\n}\n```\n\n")
	}
	return b.String()
}

// BenchmarkMarkdownStreaming streams an 8 KB markdown reply in 40-byte
// deltas, one frame per delta: the cost of re-rendering the open reply.
func BenchmarkMarkdownStreaming(b *testing.B) {
	reply := sampleReply(8 << 10)
	b.ReportAllocs()
	for b.Loop() {
		m := New(Options{SpillDir: b.TempDir()})
		m.SetSize(160, 48)
		var f feed
		for i := 0; i < len(reply); i += 40 {
			m.Append(f.delta(reply[i:min(i+40, len(reply))]))
			_ = m.View()
		}
		m.Append(f.assistant(reply))
		_ = m.View()
		m.Close()
	}
}

// BenchmarkMarkdownFinished is one frame of a finished 8 KB reply on
// screen: its render is cached, so this is the frame's own cost.
func BenchmarkMarkdownFinished(b *testing.B) {
	m := New(Options{SpillDir: b.TempDir()})
	defer m.Close()
	m.SetSize(160, 48)
	var f feed
	m.Append(f.assistant(sampleReply(8 << 10)))
	_ = m.View()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
