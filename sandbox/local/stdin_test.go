package local

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// TestExecFeedsStdin: a command reads what ExecRequest.Stdin holds, and a
// stdin that never ends does not hold Exec once the command has exited.
func TestExecFeedsStdin(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		var out bytes.Buffer
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "tr a-z A-Z", Stdin: strings.NewReader("abc\n"), Stdout: &out})
		if err != nil || res.ExitCode != 0 || out.String() != "ABC\n" {
			t.Fatalf("tr: %q %+v %v", out.String(), res, err)
		}
		never, _ := io.Pipe()
		defer never.Close()
		done := make(chan error, 1)
		go func() {
			_, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "exit 3", Stdin: never})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Exec waited for a stdin that never ends after the command exited")
		}
	})
}
