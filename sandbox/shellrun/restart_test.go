package shellrun_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/sandbox/shellrun"
)

func TestShellStatePersistsAcrossRestartLocal(t *testing.T) {
	for _, iso := range []string{local.IsolationNone, local.IsolationBwrap} {
		t.Run(iso, func(t *testing.T) {
			p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: iso})
			if err != nil {
				t.Skip(err)
			}
			ctx := context.Background()
			sb, err := p.Create(ctx, sandbox.Spec{})
			if err != nil {
				t.Skip(err)
			}
			defer sb.Close(ctx)
			r := shellrun.New(sb.(sandbox.Terminal), sandbox.ShellSpec{}, "")
			defer r.Close(ctx)
			for _, c := range []struct {
				cmd, out string
				code     int
			}{
				{"echo hi", "hi\n", 0},
				{"cd /tmp; export FOO=bar", "", 0},
				{"pwd; echo $FOO; false", "/tmp\nbar\n", 1},
				{"printf 'a\\tb'", "a\tb", 0},
				{"exit 3", "exit\n", 3},
				{"pwd; echo $FOO", "/tmp\nbar\n", 0},
			} {
				var out bytes.Buffer
				res, err := r.Run(ctx, c.cmd, &out, 5*time.Second, false)
				if err != nil || out.String() != c.out || res.ExitCode != c.code {
					t.Errorf("%q: got %q, exit %d, err %v; want %q, exit %d", c.cmd, out.String(), res.ExitCode, err, c.out, c.code)
				}
			}
		})
	}
}
