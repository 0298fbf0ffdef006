package ui

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// uiSession feeds m a realistic session of n events, the way the program
// does (eventsMsg batches): per 10 events a user prompt or assistant reply,
// a terminal action, six output chunks, its observation and a usage update.
// Output chunks are sized so that 100k events carry about 50 MB of output.
// The last tool call is left running and its id returned.
func uiSession(tb testing.TB, m Model, n int) (id string, outBytes int64) {
	tb.Helper()
	const chunkBytes = 50 << 20 / 60_000 // 60k output events at 100k
	line := "compiling package github.com/example/module/internal/thing ... ok\n"
	chunk := strings.Repeat(line, chunkBytes/len(line)+1)[:chunkBytes-1] + "\n"
	clock := fixedNow()
	seq := int64(0)
	batch := make([]session.Event, 0, maxBatch)
	flush := func() {
		if len(batch) > 0 {
			update(m, eventsMsg{events: batch})
			batch = batch[:0]
		}
	}
	add := func(ev session.Event) {
		seq++
		clock = clock.Add(10 * time.Millisecond)
		ev.Seq, ev.ID, ev.Time = seq, fmt.Sprint("ev-", seq), clock
		if ev.Output != nil {
			outBytes += int64(len(ev.Output.Data))
		}
		batch = append(batch, ev)
		if len(batch) == maxBatch {
			flush()
		}
	}
	add(evSandbox("creating"))
	add(evSandbox("started"))
	add(uitest.User("build the module and fix what fails"))
	add(uitest.State(session.StateIdle, session.StateRunning, ""))
	for i := 0; int(seq) < n; i++ {
		id = fmt.Sprint("call-", i)
		add(uitest.Assistant(fmt.Sprintf("Step %d: let me run the build and look at the result.", i)))
		add(evAction(id, "go build ./... && go test ./...", false))
		for k := 0; k < 6; k++ {
			add(uitest.Output(id, chunk))
		}
		if int(seq)+2 >= n {
			break
		}
		add(evObservation(id, "ok", 0))
		add(uitest.Usage(1000+i, 50, 0.01, true))
	}
	flush()
	return id, outBytes
}

// BenchmarkUIView is one frame of the whole screen (status bar, sandbox
// pane, stream, prompt) at 160×48, against the session's length. The
// target is that 100k events with 50 MB of output cost at most 1.2× the
// frame at 100 events (and under 2 ms).
func BenchmarkUIView(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d/static", n), func(b *testing.B) {
			eng := newFakeEngine()
			opts := testOptions()
			opts.NoColor = false
			opts.SpillDir = b.TempDir()
			m := New(eng, opts)
			b.Cleanup(func() { _ = m.Close() })
			update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.HeapAlloc
			_, out := uiSession(b, m, n)
			_ = m.View()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
			b.ReportMetric(float64(out)/(1<<20), "output-MB")
			b.ReportMetric(float64(ms.HeapAlloc-min(before, ms.HeapAlloc))/(1<<20), "session-heap-MB")
		})
		b.Run(fmt.Sprintf("events=%d/streaming", n), func(b *testing.B) {
			eng := newFakeEngine()
			opts := testOptions()
			opts.NoColor = false
			opts.SpillDir = b.TempDir()
			m := New(eng, opts)
			b.Cleanup(func() { _ = m.Close() })
			update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
			id, _ := uiSession(b, m, n)
			_ = m.View()
			ev := uitest.Output(id, "another line of output from the running command\n")
			b.ReportAllocs()
			i := int64(n)
			for b.Loop() {
				i++
				ev.Seq = i
				update(m, eventsMsg{events: []session.Event{ev}})
				_ = m.View()
			}
		})
	}
}
