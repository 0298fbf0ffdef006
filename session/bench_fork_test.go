package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// BenchmarkForkLatency measures a fork from select to the new branch
// running: a fresh local sandbox, Fork (the conversation rebuilt, the
// workspace restored from the step's snapshot) and Continue until the
// model is called. The recorded workspace is empty ("small") or 10k
// files / 200 MB ("10k-200MB").
func BenchmarkForkLatency(b *testing.B) {
	for _, big := range []bool{false, true} {
		name := "small"
		if big {
			name = "10k-200MB"
		}
		b.Run(name, func(b *testing.B) {
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
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				fresh, err := ttSandboxIso(b, "none")
				if err != nil {
					b.Fatal(err)
				}
				calling := make(chan int, 1)
				fm := &fakeModel{calling: calling}
				branch, err := Fork(ctx, fresh, rec, at, Edit{}, Options{Model: fm, RecordPath: filepath.Join(b.TempDir(), "b.jsonl"), Tools: fakeTools()})
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
				b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/fork")
				b.StopTimer()
				if w := branch.Result().Workspace; w == nil || w.Method != "snapshot" {
					b.Fatalf("workspace %+v", w)
				}
				branch.Wait(ctx)
				branch.Close()
				fresh.Close(ctx)
				b.StartTimer()
			}
		})
	}
}
