package session

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

// BenchmarkPublish measures event publication with a reader draining the
// channel: a mix of output chunks (coalescable) and critical events.
func BenchmarkPublish(b *testing.B) {
	for _, tc := range []struct {
		name string
		ev   Event
	}{
		{"output", Event{Kind: KindOutput, Output: &Output{ToolCallID: "c", Stream: "stdout", Data: "a line of output, about sixty bytes long, as tools print\n"}}},
		{"state", Event{Kind: KindState, State: &StateChange{From: StateRunning, To: StatePaused}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bus := newBus(nil, newRedactor(nil), 0, nil)
			ch := bus.events()
			got := make(chan int)
			go func() {
				n := 0
				for range ch {
					n++
				}
				got <- n
			}()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				bus.publish(tc.ev)
			}
			el := time.Since(start)
			bus.close()
			delivered := <-got
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
			b.ReportMetric(float64(delivered)/float64(b.N), "delivered/published")
		})
	}
}

// BenchmarkPublishRecorded is BenchmarkPublish with a JSONL recording.
func BenchmarkPublishRecorded(b *testing.B) {
	rec, err := openRecorder(b.TempDir()+"/r.jsonl", RecordHeader{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.close()
	bus := newBus(rec, newRedactor(nil), 0, nil)
	ch := bus.events()
	go func() {
		for range ch {
		}
	}()
	ev := Event{Kind: KindOutput, Output: &Output{ToolCallID: "c", Stream: "stdout", Data: "a line of output, about sixty bytes long, as tools print\n"}}
	start := time.Now()
	for b.Loop() {
		bus.publish(ev)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	bus.close()
}

func benchSandbox(b *testing.B) sandbox.Sandbox {
	p, err := local.NewProvider(local.Options{BaseDir: b.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		b.Fatal(err)
	}
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close(context.Background()) })
	return sb
}

// BenchmarkToolCallOverhead compares one command run directly with
// sandbox.Exec against the same command run as a model tool call through
// the session (action, approval check, output and observation events,
// conversation, stuck check), with a reader draining events. The
// difference of the two ns/op is the engine's per-call overhead; "noop"
// is the engine alone with a tool that does nothing.
func BenchmarkToolCallOverhead(b *testing.B) {
	const command = "echo hi"
	b.Run("direct", func(b *testing.B) {
		sb := benchSandbox(b)
		ctx := context.Background()
		for b.Loop() {
			var out fakeLockedBuf
			if _, err := sb.Exec(ctx, sandbox.ExecRequest{Command: command, Stdout: &out, Stderr: &out}); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := func(b *testing.B, tool string, tools []Tool) {
		sb := benchSandbox(b)
		calls := make([]llm.ToolCall, b.N)
		for i := range calls {
			// Distinct actions, so stuck detection does not stop the run.
			calls[i] = llm.ToolCall{ID: fmt.Sprint("c", i), Name: tool, Arguments: fmt.Sprintf(`{"command":%q}`, fmt.Sprintf("%s #%d", command, i))}
		}
		m := &fakeModel{replies: []fakeReply{{calls: calls}, {text: "done"}}}
		s, err := New(Options{Sandbox: sb, Model: m, Tools: func() []Tool { return tools }})
		if err != nil {
			b.Fatal(err)
		}
		ch := s.Events()
		go func() {
			for range ch {
			}
		}()
		b.ResetTimer()
		res, err := s.Run(context.Background(), "bench")
		b.StopTimer()
		if err != nil || res.Status != StateFinished {
			b.Fatalf("res %+v err %v", res, err)
		}
		s.Close()
	}
	b.Run("session", func(b *testing.B) { run(b, "sh", []Tool{fakeShTool{}}) })
	b.Run("noop", func(b *testing.B) {
		noop := fakeFuncTool{name: "noop", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
			c.Stdout.Write([]byte("hi\n"))
			return ToolResult{Content: "hi\n"}, nil
		}}
		run(b, "noop", []Tool{noop})
	})
}
