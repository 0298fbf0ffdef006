package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// TestFindOrphansLocal: a sandbox whose meta names a dead creator is found,
// one of this run is not.
func TestFindOrphansLocal(t *testing.T) {
	p := localTestProvider(t, Options{Isolation: IsolationNone})
	ctx := context.Background()
	live, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close(ctx)
	crashed, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	// Make it look like another tether run, now exited, made it.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	info, _ := crashed.Info(ctx)
	info.Labels[sandbox.LabelRunID] = "deadbeef"
	info.Labels[sandbox.LabelPID] = strconv.Itoa(cmd.Process.Pid)
	if err := localWriteMeta(p.BaseDir()+"/"+crashed.ID(), info); err != nil {
		t.Fatal(err)
	}
	p.forget(crashed.ID()) // as if this process had died

	orphans, err := sandbox.FindOrphans(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 1 || orphans[0].Info.ID != crashed.ID() || orphans[0].OtherHost {
		t.Fatalf("orphans = %+v, want just %s", orphans, crashed.ID())
	}
	if err := p.Delete(ctx, orphans[0].Info.ID); err != nil {
		t.Fatal(err)
	}
	if left, _ := sandbox.FindOrphans(ctx, p); len(left) != 0 {
		t.Fatalf("orphans after delete: %+v", left)
	}
}

// TestRegistryWithLocal: CloseAll tears down real sandboxes.
func TestRegistryWithLocal(t *testing.T) {
	p := localTestProvider(t, Options{Isolation: IsolationNone})
	r := sandbox.NewRegistry()
	var dirs []string
	for range 3 {
		sb, err := p.Create(context.Background(), sandbox.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, r.Track(sb).WorkDir())
	}
	if err := r.CloseAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s survived CloseAll: %v", d, err)
		}
	}
}
