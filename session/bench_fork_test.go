package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

// BenchmarkForkLatency measures a fork from select to the new branch
// running: a fresh local sandbox, Fork (the conversation rebuilt, the
// workspace restored from the step's snapshot) and Continue until the
// model is called (ms/fork), and until the branch's first tool call runs
// on the restored files (ms/first-tool). The recorded workspace is empty
// ("small") or 10k files / 200 MB ("10k-200MB"). "auto" restores as
// tether does: an overlay as root, a copy as an unprivileged user (run
// the test binary as one); "copy" always copies the snapshot (a kept
// workspace forces it; it is removed after each fork). The restore runs
// before the model call ("serial") or while it goes out ("pipelined",
// Options.PipelineRestore).
func BenchmarkForkLatency(b *testing.B) {
	for _, big := range []bool{false, true} {
		for _, mode := range []string{"auto-serial", "auto-pipelined", "copy-serial", "copy-pipelined"} {
			name := "small/" + mode
			if big {
				name = "10k-200MB/" + mode
			}
			b.Run(name, func(b *testing.B) { benchForkLatency(b, big, mode) })
		}
	}
}

func benchForkLatency(b *testing.B, big bool, mode string) {
	sb := ttSandbox(b)
	if big {
		chunk := make([]byte, 20<<10)
		for i := range 10000 {
			d := filepath.Join(sb.WorkDir(), fmt.Sprintf("d%02d", i%100))
			os.MkdirAll(d, 0o755)
			chunk[0] = byte(i)
			os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d", i)), chunk, 0o644)
		}
	}
	rec := filepath.Join(b.TempDir(), "parent.jsonl")
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("c1", "echo hi > new.txt")}}, {text: "done"}}}
	s, err := New(Options{Sandbox: sb, Model: m, RecordPath: rec, Tools: fakeTools()})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	ctx := context.Background()
	if _, err := s.Run(ctx, "write new.txt"); err != nil {
		b.Fatal(err)
	}
	s.Close()
	_, evs, _ := ReadRecordingFile(rec)
	var at int64
	for _, ev := range evs {
		if ev.Kind == KindObservation {
			at = ev.Seq
		}
	}
	p, err := local.NewProvider(local.Options{BaseDir: b.TempDir(), Isolation: local.IsolationNone, Keep: strings.HasPrefix(mode, "copy")})
	if err != nil {
		b.Fatal(err)
	}
	var forkMs, toolMs float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fresh, err := p.Create(ctx, sandbox.Spec{})
		if err != nil {
			b.Fatal(err)
		}
		calling := make(chan int, 1)
		ran := make(chan time.Duration, 1)
		probe := fakeFuncTool{name: "probe", fn: func(context.Context, ToolCall) (ToolResult, error) {
			ran <- time.Since(start)
			return ToolResult{Content: "ok"}, nil
		}}
		fm := &fakeModel{calling: calling, replies: []fakeReply{{calls: []llm.ToolCall{call("p1", "probe", "{}")}}, {text: "done"}}}
		called := &firstCallTimer{Model: fm, start: start, at: make(chan time.Duration, 1)}
		branch, err := Fork(ctx, fresh, rec, at, Edit{}, Options{Model: called, RecordPath: filepath.Join(b.TempDir(), "b.jsonl"),
			Tools: fakeTools(probe), PipelineRestore: strings.HasSuffix(mode, "pipelined")})
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for range branch.Events() {
			}
		}()
		if err := branch.Continue(); err != nil {
			b.Fatal(err)
		}
		<-calling // the branch is running: its first model call
		forkMs += float64((<-called.at).Microseconds()) / 1000
		<-calling // the second call: after probe ran
		toolMs += float64((<-ran).Microseconds()) / 1000
		b.StopTimer()
		if w := branch.Result().Workspace; w == nil || w.Method != "snapshot" || !w.Exact() {
			b.Fatalf("workspace %+v", w)
		}
		branch.Wait(ctx)
		branch.Close()
		fresh.Close(ctx)
		os.RemoveAll(fresh.WorkDir()) // kept (copy): its pages must not weigh on the next fork
		b.StartTimer()
	}
	b.ReportMetric(forkMs/float64(b.N), "ms/fork")
	b.ReportMetric(toolMs/float64(b.N), "ms/first-tool")
}

// firstCallTimer tells how long after start its first model call began.
type firstCallTimer struct {
	Model
	start time.Time
	once  sync.Once
	at    chan time.Duration
}

func (f *firstCallTimer) Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Response, error) {
	f.once.Do(func() { f.at <- time.Since(f.start) })
	return f.Model.Stream(ctx, req, onDelta)
}
