package eventlist

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
)

// session builds a realistic mix: per 10 events, an assistant reply (delta
// + final), a tool call with 5 output chunks of several lines, its result
// and a state change. The last tool call is left running.
func buildSession(tb testing.TB, m *Model, events int) (*feed, string) {
	var f feed
	id := ""
	chunk := strings.Repeat("compiling package github.com/example/module/internal/thing ok\n", 6)
	for n := 0; n < events; {
		id = fmt.Sprintf("call-%d", n)
		m.Append(f.delta("Let me run the build and look at the result "))
		m.Append(f.assistant(fmt.Sprintf("Let me run the build and look at the result of step %d.", n)))
		m.Append(f.action(id, "go build ./... && go test ./..."))
		for k := 0; k < 5; k++ {
			m.Append(f.output(id, chunk))
		}
		n += 8
		if n+2 >= events {
			break
		}
		m.Append(f.obs(id, 0, 2*time.Second))
		m.Append(f.state(session.StateRunning, session.StateRunning))
		n += 2
	}
	return &f, id
}

func BenchmarkView(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d/streaming", n), func(b *testing.B) {
			m := New(Options{SpillDir: b.TempDir()})
			defer m.Close()
			m.SetSize(160, 48)
			f, id := buildSession(b, m, n)
			m.View()
			b.ReportAllocs()
			for b.Loop() {
				m.Append(f.output(id, "another line of output\n"))
				_ = m.View()
			}
		})
		b.Run(fmt.Sprintf("events=%d/static", n), func(b *testing.B) {
			m := New(Options{SpillDir: b.TempDir()})
			defer m.Close()
			m.SetSize(160, 48)
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.HeapAlloc
			buildSession(b, m, n)
			m.View()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heap := float64(ms.HeapAlloc-min(before, ms.HeapAlloc)) / (1 << 20)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
			b.ReportMetric(heap, "session-heap-MB")
		})
		b.Run(fmt.Sprintf("events=%d/scroll-middle", n), func(b *testing.B) {
			m := New(Options{SpillDir: b.TempDir()})
			defer m.Close()
			m.Focus()
			m.SetSize(160, 48)
			buildSession(b, m, n)
			// Park in the middle, then page up and down (renders entries
			// that are not cached yet on the first passes).
			m.follow = false
			m.top = anchor{idx: len(m.entries) / 2}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					press(m, "pgup")
				} else {
					press(m, "pgdown")
				}
				i++
				_ = m.View()
			}
		})
	}
}

func BenchmarkResize(b *testing.B) {
	m := New(Options{SpillDir: b.TempDir()})
	defer m.Close()
	buildSession(b, m, 100_000)
	b.ReportAllocs()
	w := 100
	for b.Loop() {
		w = 100 + (w+1)%60
		m.SetSize(w, 48)
		_ = m.View()
	}
}

// BenchmarkIngestFlood feeds 100 MB of output in 4 KiB chunks to one tool
// call and reports throughput, allocations and the peak heap in use.
func BenchmarkIngestFlood(b *testing.B) {
	const total = 100 << 20
	const chunkSize = 4 << 10
	line := strings.Repeat("x", 79) + "\n"
	chunk := strings.Repeat(line, chunkSize/len(line)+1)[:chunkSize]
	chunks := total / chunkSize
	b.SetBytes(total)
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	for b.Loop() {
		m := New(Options{SpillDir: b.TempDir()})
		m.SetSize(160, 48)
		var f feed
		m.Append(f.action("flood", "cat /dev/urandom | base64"))
		ev := f.output("flood", chunk)
		for i := 0; i < chunks; i++ {
			m.Append(ev)
			if i%1024 == 0 {
				_ = m.View() // the UI renders now and then while it streams
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		m.Append(f.obs("flood", 0, time.Second))
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MB")
}

func BenchmarkFullViewJump(b *testing.B) {
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: b.TempDir()})
	defer m.Close()
	m.Focus()
	m.SetSize(160, 48)
	var f feed
	bigOutput(b, m, &f, "big", 200_000, true)
	press(m, "enter")
	if !m.FullOutputOpen() {
		b.Fatal("full view did not open")
	}
	b.Run("End", func(b *testing.B) {
		for b.Loop() {
			press(m, "home", "end")
			_ = m.View()
		}
	})
	b.Run("Home", func(b *testing.B) {
		for b.Loop() {
			press(m, "end", "home")
			_ = m.View()
		}
	})
	b.Run("PgUp", func(b *testing.B) {
		press(m, "end")
		i := 0
		for b.Loop() {
			if i%3000 == 0 {
				press(m, "end")
			}
			i++
			press(m, "pgup")
			_ = m.View()
		}
	})
	b.Run("Middle", func(b *testing.B) {
		press(m, "home")
		for i := 0; i < 2000; i++ {
			press(m, "pgdown")
		}
		for b.Loop() {
			press(m, "pgdown", "pgup")
			_ = m.View()
		}
	})
	b.Run("Search", func(b *testing.B) {
		for b.Loop() {
			press(m, "home", "/", "ctrl+u")
			typeText(m, "line 199999")
			press(m, "enter")
			_ = m.View()
		}
	})
}

// BenchmarkAppend is the cost per event of the realistic mix.
func BenchmarkAppend(b *testing.B) {
	m := New(Options{SpillDir: b.TempDir()})
	defer m.Close()
	var f feed
	chunk := strings.Repeat("compiling package github.com/example/module ok\n", 6)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := fmt.Sprint("c", i/10)
		switch i % 10 {
		case 0:
			m.Append(f.assistant("step"))
		case 1:
			m.Append(f.action(id, "make"))
		case 8:
			m.Append(f.obs(id, 0, time.Second))
		case 9:
			m.Append(f.state(session.StateRunning, session.StateRunning))
		default:
			m.Append(f.output(id, chunk))
		}
		i++
	}
}

// BenchmarkResizeDrag is BenchmarkResize as a drag of the window's edge
// with Options.LazyResize (as the TUI runs): finished replies re-flowed at
// each width, rendered once more when the drag settles (not counted).
func BenchmarkResizeDrag(b *testing.B) {
	m := New(Options{SpillDir: b.TempDir(), LazyResize: true})
	defer m.Close()
	buildSession(b, m, 100_000)
	m.SetSize(100, 48)
	_ = m.View()
	b.ReportAllocs()
	w := 100
	for b.Loop() {
		w = 100 + (w+1)%60
		m.SetSize(w, 48)
		_ = m.View()
	}
}
