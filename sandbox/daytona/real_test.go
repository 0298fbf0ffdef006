package daytona_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
)

// TestDaytonaReal is a smoke test against real Daytona. It runs only when
// DAYTONA_API_KEY is set (DAYTONA_API_URL and DAYTONA_TARGET are honoured)
// and deletes what it creates.
func TestDaytonaReal(t *testing.T) {
	key := os.Getenv("DAYTONA_API_KEY")
	if key == "" {
		t.Skip("DAYTONA_API_KEY not set: skipping the real-Daytona smoke test")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	p, err := daytona.NewProvider(daytona.Options{
		APIKey: key, APIURL: os.Getenv("DAYTONA_API_URL"), Target: os.Getenv("DAYTONA_TARGET"),
		AutoStopMinutes: dtIntp(10), AutoDeleteMinutes: dtIntp(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var states []string
	sb, err := p.Create(ctx, sandbox.Spec{Labels: map[string]string{"purpose": "tether-smoke-test"}, OnState: func(s string) { states = append(states, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sb.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	t.Logf("created %s, states %v, workdir %s", sb.ID(), states, sb.WorkDir())

	out, errOut := dtNewBuf(""), dtNewBuf("")
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "echo out; echo err >&2; exit 3", Stdout: out, Stderr: errOut})
	if err != nil || res.ExitCode != 3 || out.String() != "out\n" || errOut.String() != "err\n" {
		t.Errorf("exec: %+v %v %q %q", res, err, out.String(), errOut.String())
	}
	kctx, kcancel := context.WithTimeout(ctx, 2*time.Second)
	res, err = sb.Exec(kctx, sandbox.ExecRequest{Command: "sleep 1000"})
	kcancel()
	if err != nil || !res.Cancelled {
		t.Errorf("cancel: %+v %v", res, err)
	}
	_, ps, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "ps -eo args | grep '^sleep 1000' || true"})
	if strings.TrimSpace(ps) != "" {
		t.Errorf("sleep survived the cancel: %q", ps)
	}
	if err := sb.WriteFile(ctx, "smoke/x.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := sb.WriteFile(ctx, "smoke/empty", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := sb.ReadFile(ctx, "smoke/x.txt"); err != nil || string(got) != "hello" {
		t.Errorf("read: %q %v", got, err)
	}
	if got, err := sb.ReadFile(ctx, "smoke/empty"); err != nil || len(got) != 0 {
		t.Errorf("read empty: %q %v", got, err)
	}
	if _, err := sb.ReadFile(ctx, "smoke/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	info, err := sb.Info(ctx)
	if err != nil || info.Labels[sandbox.LabelCreatedBy] != sandbox.CreatedByTether {
		t.Errorf("info: %+v %v", info, err)
	}
}
