package tethertest_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/tethertest"
)

// NewShared is made in TestMain, where there is no testing.TB; each test
// then takes the sandbox with shared.Sandbox(t), which skips the test when
// the provider cannot be had (Daytona without a key).
func ExampleNewShared() {
	dir, _ := os.MkdirTemp("", "tether-example-")
	defer os.RemoveAll(dir)
	p, _ := local.NewProvider(local.Options{BaseDir: dir, Isolation: local.IsolationNone})

	shared := tethertest.NewShared(context.Background(), tethertest.WithProvider(p))
	defer shared.Close()
	// In a test: sb := shared.Sandbox(t)
	ids, _ := p.List(context.Background(), map[string]string{tethertest.LabelTest: "shared"})
	fmt.Println("shared sandboxes:", len(ids))
	// Output: shared sandboxes: 1
}
