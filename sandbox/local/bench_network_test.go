package local

import (
	"context"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// BenchmarkLocalCreateFirstExecNetwork is BenchmarkLocalCreateFirstExec
// under bwrap per network mode: "on" (egress only: slirp4netns started
// beside the init), "off" and "host" (no network set-up at all).
func BenchmarkLocalCreateFirstExecNetwork(b *testing.B) {
	localNeedBwrap(b)
	for _, network := range []string{sandbox.NetworkOn, sandbox.NetworkOff, NetworkHost} {
		b.Run(network, func(b *testing.B) {
			if network == sandbox.NetworkOn {
				if _, err := localFindSlirp(); err != nil {
					b.Skipf("egress-only network unavailable here: %v", err)
				}
			}
			p := localTestProvider(b, Options{Isolation: IsolationBwrap, Network: network})
			ctx := context.Background()
			var out localDiscard
			var closing time.Duration
			for b.Loop() {
				sb, err := p.Create(ctx, sandbox.Spec{})
				if err != nil {
					b.Fatal(err)
				}
				res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true", Stdout: out, Stderr: out})
				if err != nil || res.ExitCode != 0 {
					b.Fatalf("%+v %v", res, err)
				}
				t0 := time.Now()
				if err := sb.Close(ctx); err != nil {
					b.Fatal(err)
				}
				closing += time.Since(t0)
			}
			b.ReportMetric(float64(closing.Microseconds())/1000/float64(b.N), "close-ms/op")
		})
	}
}
