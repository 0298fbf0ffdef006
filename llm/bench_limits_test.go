package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// endless streams content chunks until the client goes away, at about
// one chunk per perChunk (0: as fast as the connection takes them).
func endless(b *testing.B, perChunk time.Duration) string {
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
	return ts.URL + "/v1"
}

// BenchmarkCancelAfterLongStream streams for 15 s (a chunk, then a 200 µs
// sleep: on a loaded machine the sleeps stretch, so it reports the deltas
// seen), then cancels, and reports how long Stream took to return after
// the cancel. Run with -benchtime 1x.
func BenchmarkCancelAfterLongStream(b *testing.B) {
	const streamFor = 15 * time.Second
	c, err := llm.New(llm.Config{BaseURL: endless(b, 200*time.Microsecond), Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
	var worst time.Duration
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		var deltas atomic.Int64
		var cancelledAt atomic.Int64
		time.AfterFunc(streamFor, func() { cancelledAt.Store(time.Now().UnixNano()); cancel() })
		_, err := c.Stream(ctx, userRequest("x"), func(llm.Delta) { deltas.Add(1) })
		took := time.Since(time.Unix(0, cancelledAt.Load()))
		if !errors.Is(err, context.Canceled) {
			b.Fatalf("err = %v", err)
		}
		worst = max(worst, took)
		b.ReportMetric(float64(deltas.Load()), "deltas")
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "cancel-ms")
}

// BenchmarkRunawayReplyMemory streams an endless reply as fast as the
// loopback takes it, until the default 8 MiB reply limit cuts it, and
// reports the peak heap in use while it streamed.
func BenchmarkRunawayReplyMemory(b *testing.B) {
	c, err := llm.New(llm.Config{BaseURL: endless(b, 0), Model: "m"})
	if err != nil {
		b.Fatal(err)
	}
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
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Stream(context.Background(), userRequest("x"), nil)
		if !errors.Is(err, llm.ErrReplyLimit) || len(resp.Message.Content) < llm.DefaultMaxReplyBytes {
			b.Fatalf("err = %v, %d bytes", err, len(resp.Message.Content))
		}
	}
	close(stop)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
