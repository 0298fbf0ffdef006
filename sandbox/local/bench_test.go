package local

import (
	"context"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

func localBenchModes(b *testing.B, f func(b *testing.B, iso string)) {
	for _, iso := range []string{IsolationNone, IsolationBwrap} {
		b.Run(iso, func(b *testing.B) {
			if iso == IsolationBwrap {
				localNeedBwrap(b)
			}
			f(b, iso)
		})
	}
}

// BenchmarkLocalCreateClose measures a sandbox's whole life with no command.
func BenchmarkLocalCreateClose(b *testing.B) {
	localBenchModes(b, func(b *testing.B, iso string) {
		p := localTestProvider(b, Options{Isolation: iso})
		ctx := context.Background()
		for b.Loop() {
			sb, err := p.Create(ctx, sandbox.Spec{})
			if err != nil {
				b.Fatal(err)
			}
			if err := sb.Close(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLocalExecTrue measures the fixed cost of one Exec in a live
// sandbox (the first command, which may wait for the sandbox's init, is
// BenchmarkLocalCreateFirstExec's).
func BenchmarkLocalExecTrue(b *testing.B) {
	localBenchModes(b, func(b *testing.B, iso string) {
		_, sb := localTestSandbox(b, iso)
		ctx := context.Background()
		var out localDiscard
		if _, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true"}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true", Stdout: out, Stderr: out})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("%+v %v", res, err)
			}
		}
	})
}

type localDiscard struct{}

func (localDiscard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkLocalCreateFirstExec measures a sandbox made, its first command
// run (which under bwrap starts the sandbox's init) and closed.
func BenchmarkLocalCreateFirstExec(b *testing.B) {
	localBenchModes(b, func(b *testing.B, iso string) {
		p := localTestProvider(b, Options{Isolation: iso})
		ctx := context.Background()
		var out localDiscard
		for b.Loop() {
			sb, err := p.Create(ctx, sandbox.Spec{})
			if err != nil {
				b.Fatal(err)
			}
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true", Stdout: out, Stderr: out})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("%+v %v", res, err)
			}
			if err := sb.Close(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
