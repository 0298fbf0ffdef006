package daytona_test

import (
	"context"
	"testing"

	"github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/types"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
)

// BenchmarkDaytonaCreateDelete measures tether's own cost of a create and a
// delete through the SDK against the in-process fake (no network latency).
func BenchmarkDaytonaCreateDelete(b *testing.B) {
	srv, p := dtFake(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sb, err := p.Create(ctx, sandbox.Spec{})
		if err != nil {
			b.Fatal(err)
		}
		if err := sb.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := len(srv.Live()); n != 0 {
		b.Fatalf("%d sandboxes left", n)
	}
}

// BenchmarkDaytonaExecTrue measures the overhead of one Exec (session
// command, log stream, exit-code poll) around a command that does nothing.
func BenchmarkDaytonaExecTrue(b *testing.B) {
	_, p := dtFake(b)
	sb := dtCreate(b, p, sandbox.Spec{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkDaytonaSDKSessionTrue is the floor BenchmarkDaytonaExecTrue is
// measured against: the same requests made with the SDK directly, with no
// wrapper, no process group and no session pool.
func BenchmarkDaytonaSDKSessionTrue(b *testing.B) {
	srv := daytonatest.NewServer(b, daytonatest.WithAPIKey(dtTestKey))
	c, err := daytona.NewClientWithConfig(&types.DaytonaConfig{APIKey: dtTestKey, APIUrl: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sb, err := c.Create(ctx, types.SnapshotParams{})
	if err != nil {
		b.Fatal(err)
	}
	if err := sb.Process.CreateSession(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := sb.Process.ExecuteSessionCommand(ctx, "bench", "true", true, true)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := r["id"].(string)
		so, se := make(chan string, 8), make(chan string, 8)
		go func() {
			for range so {
			}
		}()
		go func() {
			for range se {
			}
		}()
		if err := sb.Process.GetSessionCommandLogsStream(ctx, "bench", id, so, se); err != nil {
			b.Fatal(err)
		}
		if m, err := sb.Process.GetSessionCommand(ctx, "bench", id); err != nil || m["exitCode"] == nil {
			b.Fatalf("%v %v", m, err)
		}
	}
}
