package daytona_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/types"

	"github.com/tether-dev/tether/sandbox"
	tdaytona "github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// BenchmarkDaytonaCreateDelete measures tether's own cost of a create and a
// delete through the SDK against the in-process fake control plane (its
// own toolbox: no daemon is started, no network latency).
func BenchmarkDaytonaCreateDelete(b *testing.B) {
	srv := daytonatest.NewServer(b, daytonatest.WithAPIKey(dtTestKey))
	p, err := tdaytona.NewProvider(tdaytona.Options{APIKey: dtTestKey, APIURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
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

// BenchmarkDaytonaExecTrue is one Exec round trip of a command that does
// nothing, on the real daemon over loopback: with stdout and stderr apart
// (two PTY sessions) and with one writer for both (one).
func BenchmarkDaytonaExecTrue(b *testing.B) {
	_, p := dtFake(b)
	sb := dtCreate(b, p, sandbox.Spec{})
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		out, err *bytes.Buffer
	}{{"separate", new(bytes.Buffer), new(bytes.Buffer)}, {"merged", new(bytes.Buffer), nil}} {
		b.Run(c.name, func(b *testing.B) {
			req := sandbox.ExecRequest{Command: "true", Stdout: c.out, Stderr: c.err}
			if c.err == nil {
				req.Stderr = c.out
			}
			for b.Loop() {
				res, err := sb.Exec(ctx, req)
				if err != nil || res.ExitCode != 0 {
					b.Fatalf("%+v %v", res, err)
				}
			}
		})
	}
}

// BenchmarkDaytonaExec1MiB prints 1 MiB of binary (every byte value, NUL,
// invalid UTF-8) through Exec and checks it arrives byte-identical.
func BenchmarkDaytonaExec1MiB(b *testing.B) {
	_, p := dtFake(b)
	sb := dtCreate(b, p, sandbox.Spec{})
	ctx := context.Background()
	corpus := sandboxtest.Corpus(1 << 20)
	if err := sb.WriteFile(ctx, "big.bin", corpus); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(corpus)))
	var out, errOut bytes.Buffer
	for b.Loop() {
		out.Reset()
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "cat big.bin", Stdout: &out, Stderr: &errOut})
		if err != nil || res.ExitCode != 0 || !bytes.Equal(out.Bytes(), corpus) {
			b.Fatalf("%+v %v: %d bytes, identical %v", res, err, out.Len(), bytes.Equal(out.Bytes(), corpus))
		}
	}
}

// BenchmarkDaytonaBinaryCorpus moves a 100 KB binary corpus through exec,
// upload and download, checking each is byte-identical.
func BenchmarkDaytonaBinaryCorpus(b *testing.B) {
	_, p := dtFake(b)
	sb := dtCreate(b, p, sandbox.Spec{})
	ctx := context.Background()
	corpus := sandboxtest.Corpus(100 << 10)
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(int64(len(corpus)))
		for b.Loop() {
			if err := sb.WriteFile(ctx, "corpus.bin", corpus); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(int64(len(corpus)))
		for b.Loop() {
			got, err := sb.ReadFile(ctx, "corpus.bin")
			if err != nil || !bytes.Equal(got, corpus) {
				b.Fatalf("%v: identical %v", err, bytes.Equal(got, corpus))
			}
		}
	})
	b.Run("exec", func(b *testing.B) {
		b.SetBytes(int64(len(corpus)))
		var out bytes.Buffer
		for b.Loop() {
			out.Reset()
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "cat corpus.bin", Stdout: &out, Stderr: &out})
			if err != nil || res.ExitCode != 0 || !bytes.Equal(out.Bytes(), corpus) {
				b.Fatalf("%+v %v: identical %v", res, err, bytes.Equal(out.Bytes(), corpus))
			}
		}
	})
}

// BenchmarkDaytonaSDKSessionTrue is what Exec used to be, for comparison:
// a session command on the real daemon with the SDK's log stream, which
// the daemon closes about a second after the command exits.
func BenchmarkDaytonaSDKSessionTrue(b *testing.B) {
	env := realdaemon.New(b)
	c, err := daytona.NewClientWithConfig(&types.DaytonaConfig{APIKey: env.Server.APIKey(), APIUrl: env.Server.URL})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sb, err := c.Create(ctx, types.SnapshotParams{})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Delete(ctx)
	if err := sb.Process.CreateSession(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
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
	}
}
