package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// BenchmarkSessionCancelAfterLongStream drives a whole session (real llm
// client, recording on, every delta published and drained) against a
// server that streams text for 15 s (a chunk, then a 200 µs sleep: on a
// loaded machine the sleeps stretch, so it reports the events it saw),
// then cancels, and reports how long from Cancel until Wait returned
// with the run cancelled. Run with -benchtime 1x.
func BenchmarkSessionCancelAfterLongStream(b *testing.B) {
	const streamFor = 15 * time.Second
	client := endlessModel(b, 200*time.Microsecond)
	var worst time.Duration
	var events atomic.Int64
	for b.Loop() {
		s, _ := newTestSession(b, client, func(o *Options) { o.RecordPath = filepath.Join(b.TempDir(), "rec.jsonl") })
		go func() {
			for range s.Events() {
				events.Add(1)
			}
		}()
		if err := s.Send("stream forever"); err != nil {
			b.Fatal(err)
		}
		time.Sleep(streamFor)
		start := time.Now()
		s.Cancel()
		res, err := s.Wait(context.Background())
		took := time.Since(start)
		if err != nil || res.Status != StateCancelled {
			b.Fatalf("after cancel: %+v %v", res, err)
		}
		worst = max(worst, took)
		_ = s.Close()
	}
	b.ReportMetric(float64(events.Load())/float64(b.N), "events/run")
	b.ReportMetric(float64(worst.Microseconds())/1000, "cancel-ms")
}

// endlessModel is a client of a server that streams text until the
// client goes away, a chunk per perChunk (0: as fast as it is read).
func endlessModel(b *testing.B, perChunk time.Duration) *llm.Client {
	chunk := []byte(`data: {"choices":[{"index":0,"delta":{"content":"` + strings.Repeat("tok ", 8) + `"}}]}` + "\n\n")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if perChunk > 0 {
				_ = rc.Flush()
				time.Sleep(perChunk)
			}
		}
	}))
	b.Cleanup(ts.Close)
	client, err := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "m", MaxRetries: -1})
	if err != nil {
		b.Fatal(err)
	}
	return client
}

// BenchmarkSessionRunawayReplyMemory runs a whole session (recording on,
// every event drained) against a reply that never ends, streamed as fast
// as the loopback takes it, until the 8 MiB reply limit ends the run;
// it reports the peak heap in use and the recording's size.
func BenchmarkSessionRunawayReplyMemory(b *testing.B) {
	client := endlessModel(b, 0)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	var recorded int64
	for b.Loop() {
		rec := filepath.Join(b.TempDir(), "rec.jsonl")
		s, _ := newTestSession(b, client, func(o *Options) { o.RecordPath = rec })
		go func() {
			for range s.Events() {
			}
		}()
		res, err := s.Run(context.Background(), "write forever")
		if err != nil || res.Status != StateError || !strings.Contains(res.Reason, "max_reply_bytes") {
			b.Fatalf("runaway reply: %+v %v", res, err)
		}
		_ = s.Close()
		if fi, err := os.Stat(rec); err == nil {
			recorded = max(recorded, fi.Size())
		}
	}
	close(stop)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(recorded)/(1<<20), "recording-MiB")
}
