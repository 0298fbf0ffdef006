package session

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkTerminalPTY measures the terminal tool over its PTY shell on
// each provider (local, and Daytona's real daemon over loopback): a
// trivial command's round trip, 1 MiB of output, and how long a partial
// line takes from the program's printf to the tool's writer. Percentiles
// go in the metrics; the load average in the log.
func BenchmarkTerminalPTY(b *testing.B) {
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average: %s", strings.TrimSpace(string(la)))
	}
	for _, p := range ttTerminalProviders() {
		b.Run(p.name, func(b *testing.B) {
			sb := p.open(b)
			tool := NewTerminalTool().(*TerminalTool)
			defer tool.Close()
			call := func(cmd string, w io.Writer) ToolResult {
				res, err := tool.Run(context.Background(), ToolCall{ID: "b", Args: json.RawMessage(`{"command": ` + strconv.Quote(cmd) + `}`), Sandbox: sb, Stdout: w})
				if err != nil || res.ExitCode == nil || *res.ExitCode != 0 {
					b.Fatalf("%q: %v %s", cmd, err, res.Content)
				}
				return res
			}
			call("true", io.Discard) // opens the shell
			b.Run("trivial", func(b *testing.B) {
				var ds []time.Duration
				for b.Loop() {
					start := time.Now()
					call("echo hi", io.Discard)
					ds = append(ds, time.Since(start))
				}
				ttReportPercentiles(b, ds, "ms")
			})
			b.Run("1MiB", func(b *testing.B) {
				b.SetBytes(1 << 20)
				for b.Loop() {
					if res := call("yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 1048576", io.Discard); res.OutputBytes != 1<<20 {
						b.Fatalf("%d bytes", res.OutputBytes)
					}
				}
			})
			b.Run("partial-line", func(b *testing.B) {
				var ds []time.Duration
				for b.Loop() {
					w := &ttStampWriter{}
					call("sleep 0.02; printf %s $(date +%s%N); sleep 0.1", w)
					ds = append(ds, w.latency(b))
				}
				ttReportPercentiles(b, ds, "ms")
			})
		})
	}
}

// ttStampWriter notes when a complete nanosecond timestamp (printed
// without a newline) arrived.
type ttStampWriter struct {
	mu  sync.Mutex
	buf []byte
	at  time.Time
}

func (w *ttStampWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if w.at.IsZero() && len(w.buf) >= 19 {
		w.at = time.Now()
	}
	return len(p), nil
}

func (w *ttStampWriter) latency(b *testing.B) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	ns, err := strconv.ParseInt(string(w.buf), 10, 64)
	if err != nil || w.at.IsZero() {
		b.Fatalf("no timestamp in %q", w.buf)
	}
	return w.at.Sub(time.Unix(0, ns))
}

func ttReportPercentiles(b *testing.B, ds []time.Duration, unit string) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(at(0.5), "p50-"+unit)
	b.ReportMetric(at(0.9), "p90-"+unit)
}
