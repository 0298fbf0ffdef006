package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox/local"
)

// BenchmarkWheel measures taking the wheel (pause, workspace listing,
// shell open and prepared) and handing it back (close, command log,
// second listing, compare, event) on a local sandbox, for an empty
// workspace and one of 10k files. The user's one command is not timed.
func BenchmarkWheel(b *testing.B) {
	for _, c := range []struct {
		iso   string
		files int
	}{{local.IsolationNone, 0}, {local.IsolationNone, 10000}, {local.IsolationBwrap, 0}, {local.IsolationBwrap, 10000}} {
		files := c.files
		b.Run(fmt.Sprintf("%s/files=%d", c.iso, files), func(b *testing.B) {
			sb, err := ttSandboxIso(b, c.iso)
			if err != nil {
				b.Skip(err)
			}
			for i := range files {
				dir := filepath.Join(sb.WorkDir(), fmt.Sprintf("d%02d", i%100))
				_ = os.MkdirAll(dir, 0o755)
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			s, err := New(Options{Sandbox: sb})
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for range s.Events() {
				}
			}()
			defer s.Close()
			var open, back time.Duration
			for b.Loop() {
				start := time.Now()
				w, err := s.TakeWheel(context.Background(), 80, 24)
				if err != nil {
					b.Fatal(err)
				}
				open += time.Since(start)
				if err := w.Send(context.Background(), []byte("echo x > new\r")); err != nil {
					b.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
				start = time.Now()
				if _, err := w.HandBack(context.Background()); err != nil {
					b.Fatal(err)
				}
				back += time.Since(start)
			}
			b.ReportMetric(float64(open.Microseconds())/float64(b.N)/1000, "open-ms/op")
			b.ReportMetric(float64(back.Microseconds())/float64(b.N)/1000, "handback-ms/op")
		})
	}
}
