package local

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

func TestNewLocalProviderOptions(t *testing.T) {
	bad := []Options{
		{BaseDir: t.TempDir(), Isolation: "docker"},
		{BaseDir: t.TempDir(), Network: "maybe"},
		{BaseDir: t.TempDir(), Isolation: IsolationNone, Network: sandbox.NetworkOff},
	}
	for _, o := range bad {
		if _, err := NewProvider(o); err == nil {
			t.Errorf("NewProvider(%+v) accepted bad options", o)
		}
	}
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p, err := NewProvider(Options{Isolation: IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(state, "tether", "sandboxes"); p.BaseDir() != want {
		t.Fatalf("default BaseDir %q, want %q", p.BaseDir(), want)
	}
	if p.Name() != "local" || !strings.HasPrefix(p.Isolation(), "none") {
		t.Fatalf("Name %q Isolation %q", p.Name(), p.Isolation())
	}
	if auto := localTestProvider(t, Options{}); localBwrapErr() == nil && !strings.HasPrefix(auto.Isolation(), "bwrap") {
		t.Fatalf("auto isolation = %q though bwrap works", auto.Isolation())
	}
}

func TestLocalCreateInfoLabels(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		p := localTestProvider(t, Options{Isolation: iso})
		var states []string
		sb, err := p.Create(context.Background(), sandbox.Spec{
			Name:    "demo",
			Labels:  map[string]string{"team": "x", sandbox.LabelCreatedBy: "someone-else"},
			OnState: func(s string) { states = append(states, s) },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close(context.Background())
		if !strings.HasPrefix(sb.ID(), "local-") || !filepath.IsAbs(sb.WorkDir()) {
			t.Fatalf("ID %q WorkDir %q", sb.ID(), sb.WorkDir())
		}
		if st, err := os.Stat(sb.WorkDir()); err != nil || !st.IsDir() {
			t.Fatalf("workspace missing: %v", err)
		}
		info, err := sb.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.ID != sb.ID() || info.Provider != "local" || info.State != sandbox.StateStarted || info.Name != "demo" ||
			info.WorkDir != sb.WorkDir() || info.CPU < 1 || info.CreatedAt.IsZero() || info.Isolation != p.Isolation() || !strings.Contains(info.Limits, "processes") {
			t.Fatalf("info = %+v", info)
		}
		want := map[string]string{
			"team": "x", sandbox.LabelCreatedBy: sandbox.CreatedByTether, sandbox.LabelRunID: sandbox.RunID(),
			sandbox.LabelPID: strconv.Itoa(os.Getpid()), sandbox.LabelHost: sandbox.TetherLabels(nil)[sandbox.LabelHost],
		}
		if !sandbox.MatchLabels(info.Labels, want) || len(info.Labels) != len(want) {
			t.Fatalf("labels = %v, want %v", info.Labels, want)
		}
		if !slices.Equal(states, []string{sandbox.StateCreating, sandbox.StateStarted}) {
			t.Fatalf("OnState saw %v", states)
		}
		// Info hands out a copy.
		info.Labels["team"] = "changed"
		if again, _ := sb.Info(context.Background()); again.Labels["team"] != "x" {
			t.Fatal("Info shares its labels map with the caller")
		}
	})
}

func TestLocalListAndDelete(t *testing.T) {
	base := t.TempDir()
	p := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
	ctx := context.Background()
	a, err := p.Create(ctx, sandbox.Spec{Labels: map[string]string{"job": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Create(ctx, sandbox.Spec{Labels: map[string]string{"job": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	// Rubbish in BaseDir is skipped, not fatal.
	_ = os.Mkdir(filepath.Join(base, "local-broken"), 0o700)
	_ = os.WriteFile(filepath.Join(base, "stray.txt"), nil, 0o600)

	all, err := p.List(ctx, map[string]string{sandbox.LabelCreatedBy: sandbox.CreatedByTether})
	if err != nil || len(all) != 2 {
		t.Fatalf("List = %v, %v; want 2 sandboxes", all, err)
	}
	onlyA, err := p.List(ctx, map[string]string{"job": "a"})
	if err != nil || len(onlyA) != 1 || onlyA[0].ID != a.ID() || onlyA[0].WorkDir != a.WorkDir() {
		t.Fatalf("List(job=a) = %+v, %v", onlyA, err)
	}

	// A second provider (say, a later `tether cleanup`) sees and deletes a's
	// sandbox, killing what still runs there, even outside its group.
	marker := localMarker()
	running := make(chan struct{})
	go func() {
		defer close(running)
		_, _ = a.Exec(ctx, sandbox.ExecRequest{Command: localEscape(marker) + "; sleep 300"})
	}()
	localWaitFor(t, "escaped process", func() bool { return len(localLivePIDs(marker)) == 1 })
	other := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
	if err := other.Delete(ctx, a.ID()); err != nil {
		t.Fatal(err)
	}
	localWaitGone(t, marker)
	<-running
	if _, err := os.Stat(filepath.Dir(a.WorkDir())); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("sandbox dir still there: %v", err)
	}
	if err := other.Delete(ctx, a.ID()); err != nil {
		t.Fatalf("deleting a gone sandbox: %v", err)
	}
	for _, id := range []string{"../etc", "local-", "local-zz", "daytona-1", ""} {
		if err := p.Delete(ctx, id); err == nil {
			t.Errorf("Delete(%q) accepted a bad id", id)
		}
	}
	// Delete of a live sandbox closes it.
	if err := p.Delete(ctx, b.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, sandbox.ExecRequest{Command: "true"}); !errors.Is(err, sandbox.ErrClosed) {
		t.Fatalf("Exec after Delete: %v, want ErrClosed", err)
	}
	if left, _ := p.List(ctx, nil); len(left) != 0 {
		t.Fatalf("List after deletes = %+v", left)
	}
}

// TestLocalCloseLeavesNothing: Close kills a running command, whatever it
// left in the background (even in its own session) and removes the
// workspace; a second Close is fine.
func TestLocalCloseLeavesNothing(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		p := localTestProvider(t, Options{Isolation: iso})
		ctx := context.Background()
		sb, err := p.Create(ctx, sandbox.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		escaped, running := localMarker(), localMarker()
		localRun(t, sb, localEscape(escaped))
		// It ended with its command: the PID namespace took it, or (none)
		// the sandbox's init on the host, to which it was reparented.
		localWaitGone(t, escaped)
		errc := make(chan error, 1)
		go func() {
			_, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "(exec -a " + running + " sleep 1000) & wait"})
			errc <- err
		}()
		localWaitFor(t, "running command", func() bool { return len(localLivePIDs(running)) == 1 })

		if err := sb.Close(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, sandbox.ErrClosed) {
				t.Fatalf("Exec killed by Close returned %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Exec still running after Close")
		}
		localWaitGone(t, escaped)
		localWaitGone(t, running)
		if _, err := os.Stat(filepath.Dir(sb.WorkDir())); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("sandbox dir survived Close: %v", err)
		}
		if err := sb.Close(ctx); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if info, _ := sb.Info(ctx); info.State != sandbox.StateDeleted {
			t.Fatalf("state after Close = %q", info.State)
		}
		if _, err := sb.ReadFile(ctx, "x"); !errors.Is(err, sandbox.ErrClosed) {
			t.Fatalf("ReadFile after Close: %v", err)
		}
		if err := sb.WriteFile(ctx, "x", nil); !errors.Is(err, sandbox.ErrClosed) {
			t.Fatalf("WriteFile after Close: %v", err)
		}
	})
}

func TestLocalCloseRemovesReadOnlyTrees(t *testing.T) {
	_, sb := localTestSandbox(t, IsolationNone)
	localRun(t, sb, "mkdir -p ro/sub && touch ro/sub/f && chmod -R a-w ro")
	if err := sb.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(sb.WorkDir())); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("sandbox dir survived Close: %v", err)
	}
}

func TestLocalKeep(t *testing.T) {
	p := localTestProvider(t, Options{Isolation: IsolationNone, Keep: true})
	ctx := context.Background()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.WriteFile(ctx, "result.txt", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(sb.WorkDir(), "result.txt")); err != nil || string(got) != "kept" {
		t.Fatalf("kept workspace: %q, %v", got, err)
	}
	list, err := p.List(ctx, nil)
	if err != nil || len(list) != 1 || list[0].State != sandbox.StateDeleted {
		t.Fatalf("List after Close with Keep = %+v, %v", list, err)
	}
	if err := p.Delete(ctx, sb.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sb.WorkDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Delete left the kept workspace: %v", err)
	}
}

// TestLocalNetworkOff connects to a listener on the host's 127.0.0.1 with
// each network mode: only "host" (the shared network) reaches it; "on" is
// egress only and "off" is nothing.
func TestLocalNetworkOff(t *testing.T) {
	localNeedBwrap(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("pong\n"))
			_ = c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	cmd := "exec 3<>/dev/tcp/127.0.0.1/" + port + " && cat <&3"
	p := localTestProvider(t, Options{Isolation: IsolationBwrap})
	networks := []string{NetworkHost, sandbox.NetworkOff}
	if localTestNetwork() == sandbox.NetworkOn {
		networks = append(networks, sandbox.NetworkOn)
	}
	for _, network := range networks {
		sb, err := p.Create(context.Background(), sandbox.Spec{Network: network})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: cmd, Stdout: &out, Timeout: 10 * time.Second})
		_ = sb.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		reached := res.ExitCode == 0 && out.String() == "pong\n"
		if reached != (network == NetworkHost) {
			t.Fatalf("network %s: result %+v output %q", network, res, out.String())
		}
	}
	none := localTestProvider(t, Options{Isolation: IsolationNone})
	if _, err := none.Create(context.Background(), sandbox.Spec{Network: sandbox.NetworkOff}); err == nil {
		t.Fatal("network off accepted without isolation")
	}
}

// localEscape is a command that leaves a process marked marker running in
// its own session, detached from the command's pipes, and returns once it
// has escaped.
func localEscape(marker string) string {
	return "rm -f escaped; setsid bash -c 'touch escaped; exec -a " + marker + " sleep 1000' >/dev/null 2>&1 </dev/null & " +
		"while [ ! -e escaped ]; do sleep 0.01; done"
}

func TestLocalOpenAttachesToExistingSandbox(t *testing.T) {
	dir := t.TempDir()
	p1, err := NewProvider(Options{BaseDir: dir, Isolation: IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sb, err := p1.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(ctx)
	if err := sb.WriteFile(ctx, "note.txt", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	// Another process: a fresh provider over the same directory.
	p2, err := NewProvider(Options{BaseDir: dir, Isolation: IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	opened, err := p2.Open(ctx, sb.ID())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res, err := opened.Exec(ctx, sandbox.ExecRequest{Command: "cat note.txt", Stdout: &out})
	if err != nil || res.ExitCode != 0 || out.String() != "kept" {
		t.Fatalf("exec in opened sandbox: %v %+v %q", err, res, out.String())
	}
	if _, err := p2.Open(ctx, "local-000000000000"); err == nil {
		t.Error("opening a sandbox that does not exist must fail")
	}
	if _, err := p2.Open(ctx, "../etc"); err == nil {
		t.Error("a bad id must be refused")
	}
}
