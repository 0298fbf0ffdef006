package suite

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"
)

const benchSuite = `
name = "bench"
[defaults.sandbox]
provider = "daytona"
[matrix]
runs = 200
[[case]]
name = "hello"
prompt = "echo hello > hello.txt"
[[case.checks]]
file = "hello.txt"
contains = "hello"
[[case.checks]]
command = "test -s hello.txt"
`

// BenchmarkSuite200x50 runs 200 cases at concurrency 50 against the fake
// Daytona server and the fake LLM: each case creates a sandbox, runs one
// terminal command through the agent loop, finishes, runs two checks and
// deletes its sandbox. It reports wall time per suite, this process's CPU
// (user+sys from getrusage, divided by wall time: "cores"; it includes the
// in-process fake servers, so tether's own share is lower, while the
// sandbox commands run as child processes and are not counted) and the
// peak live heap. The heap includes the fake servers' request logs (about
// 40 KB per case, kept for the whole benchmark), so compare -benchtime 1x
// figures; a heap profile after 600 cases shows tether itself keeping
// under 1 MB.
func BenchmarkSuite200x50(b *testing.B) { benchSuiteN(b, benchSuite) }

func benchSuiteN(b *testing.B, suite string) {
	_, p := daytonaFake(b)
	_, models := shellModel(b)
	s, err := Load(writeSuite(b, suite, nil))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var cpuTotal, wallTotal time.Duration
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
		stop := samplePeakHeap(&peak)
		u0 := rusage()
		start := time.Now()
		rep, err := Run(ctx, s, RunOptions{Concurrency: 50, Providers: providers(p), Models: models, DefaultModel: "m"})
		wall := time.Since(start)
		cpu := rusage() - u0
		stop()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Totals.Passed != rep.Totals.Cases {
			for _, c := range rep.Cases {
				if c.Status != StatePassed {
					b.Fatalf("%s: %s: %s", c.ID, c.Status, c.Reason)
				}
			}
		}
		cpuTotal += cpu
		wallTotal += wall
	}
	b.ReportMetric(cpuTotal.Seconds()/wallTotal.Seconds(), "cores")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(wallTotal.Seconds()/float64(b.N), "s/suite")
}

func rusage() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// samplePeakHeap records the largest live heap (as marked by the latest GC)
// seen every 5 ms
// until the returned stop is called.
func samplePeakHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
