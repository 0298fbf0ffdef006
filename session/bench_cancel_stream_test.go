package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// BenchmarkSessionCancelAfterLongStream drives a whole session (real llm
// client, recording on, every delta published and drained) against a
// server that streams text for 15 s (a chunk every 200 µs, ~75,000
// chunks), then cancels, and reports how long from Cancel until Wait
// returned with the run cancelled. Run with -benchtime 1x.
func BenchmarkSessionCancelAfterLongStream(b *testing.B) {
	const streamFor = 15 * time.Second
	chunk := []byte(`data: {"choices":[{"index":0,"delta":{"content":"` + strings.Repeat("tok ", 8) + `"}}]}` + "\n\n")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			_ = rc.Flush()
			time.Sleep(200 * time.Microsecond)
		}
	}))
	b.Cleanup(ts.Close)
	client, err := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
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
