package local

import (
	"context"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// BenchmarkLocalOpenShell measures a PTY shell under bwrap (network "on"
// where slirp4netns works) from OpenShell to its first output (the prompt),
// then its Close, in a sandbox whose init already runs.
func BenchmarkLocalOpenShell(b *testing.B) {
	localNeedBwrap(b)
	p := localTestProvider(b, Options{Isolation: IsolationBwrap})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close(context.Background())
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"}); err != nil {
		b.Fatal(err)
	}
	term := sb.(sandbox.Terminal)
	buf := make([]byte, 4096)
	b.ResetTimer()
	for b.Loop() {
		sh, err := term.OpenShell(context.Background(), sandbox.ShellSpec{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sh.Read(buf); err != nil {
			b.Fatal(err)
		}
		if err := sh.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
