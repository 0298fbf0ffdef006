package sandbox_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

// Run collects a command's output and exit code; Exec streams them.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "tether-example-")
	defer os.RemoveAll(dir)
	p, err := local.NewProvider(local.Options{BaseDir: dir, Isolation: local.IsolationNone})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sb.Close(ctx)
	res, err := sandbox.Run(ctx, sb, "echo out; echo err >&2; exit 4")
	fmt.Printf("%q %q %d %v\n", res.Stdout, res.Stderr, res.ExitCode, err)
	// Output: "out\n" "err\n" 4 <nil>
}
