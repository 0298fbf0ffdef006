package daytona_test

import (
	"context"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// BenchmarkDaytonaFork is tether's fork of a live sandbox (1000 files,
// 4 MB) through Daytona's fork call, from the request to the forked
// sandbox started with its labels, and its delete, on the harness: the
// fake copies the directory and starts a real daemon for the fork, so the
// figure is this machine's, not Daytona's cloud's.
func BenchmarkDaytonaFork(b *testing.B) {
	_, p := dtFake(b)
	src := dtCreate(b, p, sandbox.Spec{})
	if res, _, _ := dtExec(b, src, sandbox.ExecRequest{Command: "for i in $(seq 1000); do head -c 4096 /dev/urandom > f$i; done"}); res.ExitCode != 0 {
		b.Fatal("seeding the source failed")
	}
	ctx := context.Background()
	for b.Loop() {
		fork, err := p.Fork(ctx, src.ID(), sandbox.Spec{})
		if err != nil {
			b.Fatal(err)
		}
		if err := fork.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
