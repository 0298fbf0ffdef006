package local

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// overlayFixture makes a workspace of every kind of entry in one sandbox
// and snapshots it into a store of its own.
func overlayFixture(t *testing.T, p *Provider) (snap string, want map[string]string) {
	t.Helper()
	ctx := context.Background()
	src, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	w := src.WorkDir()
	os.MkdirAll(filepath.Join(w, "src/deep"), 0o755)
	os.MkdirAll(filepath.Join(w, "empty"), 0o755)
	os.WriteFile(filepath.Join(w, "src/a.go"), []byte("package a\n"), 0o644)
	os.WriteFile(filepath.Join(w, "src/deep/run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	os.WriteFile(filepath.Join(w, "secret"), []byte("s"), 0o600)
	os.Symlink("src/a.go", filepath.Join(w, "link"))
	want = sandboxtest.TreeHashes(t, w)
	st, _ := sandbox.As[sandbox.SnapshotStore](src)
	snap = filepath.Join(t.TempDir(), "1")
	if _, err := st.SnapshotTo(ctx, snap, ""); err != nil {
		t.Fatal(err)
	}
	return snap, want
}

func TestRestoreMountsAnOverlayTheSandboxWritesWithoutTouchingTheSnapshot(t *testing.T) {
	iso := IsolationNone
	if localBwrapErr() == nil {
		iso = IsolationBwrap // the init must be rebound to see the overlay
	}
	p := localTestProvider(t, Options{Isolation: iso})
	snap, want := overlayFixture(t, p)
	ctx := context.Background()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(ctx)
	if _, err := sandbox.Run(ctx, sb, "true"); err != nil { // the init binds the plain directory
		t.Fatal(err)
	}
	st, _ := sandbox.As[sandbox.SnapshotStore](sb)
	if err := st.RestoreFrom(ctx, snap); err != nil {
		t.Fatal(err)
	}
	w := sb.WorkDir()
	if !slices.Contains(localMountsUnder(w), w) {
		if os.Geteuid() == 0 {
			t.Fatalf("running as root, the restore mounted no overlay on %s (it copied)", w)
		}
		t.Skip("not root: restores copy (TestRestoreCopiesWhereNoOverlayCanBeMounted)")
	}
	if !slices.Contains(OverlayLowerDirs(), snap) {
		t.Fatalf("the snapshot %s is not listed as a lower layer in use: %v", snap, OverlayLowerDirs())
	}
	if got := sandboxtest.TreeHashes(t, w); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored workspace:\n got %v\nwant %v", got, want)
	}
	// The sandbox's commands see the restored files and change them.
	res, err := sandbox.Run(ctx, sb, "cat src/a.go && echo more >> src/a.go && rm src/deep/run.sh && chmod 600 link && echo n > new && rmdir empty")
	if err != nil || res.ExitCode != 0 || res.Stdout != "package a\n" {
		t.Fatalf("command in the restored workspace: %+v %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(w, "src/a.go")); string(b) != "package a\nmore\n" {
		t.Fatalf("the host does not see the sandbox's write: %q", b)
	}
	if got := sandboxtest.TreeHashes(t, snap); !reflect.DeepEqual(got, want) {
		t.Fatalf("writes in the workspace reached the snapshot:\n got %v\nwant %v", got, want)
	}
	// A snapshot of the overlay holds what the sandbox sees.
	now := sandboxtest.TreeHashes(t, w)
	next := filepath.Join(filepath.Dir(snap), "2")
	if changed, err := st.SnapshotTo(ctx, next, snap); err != nil || !changed {
		t.Fatalf("snapshot of the overlay: changed=%v err=%v", changed, err)
	}
	if got := sandboxtest.TreeHashes(t, next); !reflect.DeepEqual(got, now) {
		t.Fatalf("snapshot of the overlay:\n got %v\nwant %v", got, now)
	}
	// A second restore replaces the overlay.
	if err := st.RestoreFrom(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if got := sandboxtest.TreeHashes(t, w); !reflect.DeepEqual(got, want) {
		t.Fatalf("second restore:\n got %v\nwant %v", got, want)
	}
	if n := len(localMountsUnder(w)); n != 1 {
		t.Fatalf("%d mounts on the workspace after a second restore, want 1", n)
	}
	if res, err := sandbox.Run(ctx, sb, "test ! -e new && cat src/a.go"); err != nil || res.Stdout != "package a\n" {
		t.Fatalf("after the second restore the sandbox sees %+v %v", res, err)
	}
	dir := filepath.Dir(w)
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if m := localMountsUnder(dir); len(m) > 0 {
		t.Fatalf("Close left mounts: %v", m)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left %s: %v", dir, err)
	}
	if got := sandboxtest.TreeHashes(t, snap); !reflect.DeepEqual(got, want) {
		t.Fatal("Close changed the snapshot")
	}
}

func TestDeleteUnmountsTheOverlayOfASandboxLeftByADeadTether(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay restores need root")
	}
	base := t.TempDir()
	p := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
	snap, _ := overlayFixture(t, p)
	ctx := context.Background()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := sandbox.As[sandbox.SnapshotStore](sb)
	if err := st.RestoreFrom(ctx, snap); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(sb.WorkDir())
	if len(localMountsUnder(dir)) != 1 {
		t.Fatal("no overlay mounted")
	}
	// Another tether (cleanup) that never knew this sandbox deletes it.
	other := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
	if err := other.Delete(ctx, sb.ID()); err != nil {
		t.Fatal(err)
	}
	if m := localMountsUnder(dir); len(m) > 0 {
		t.Fatalf("Delete left mounts: %v", m)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Delete left %s", dir)
	}
	if _, err := os.Stat(filepath.Join(snap, "src/a.go")); err != nil {
		t.Fatalf("Delete reached the snapshot: %v", err)
	}
	sb.Close(ctx)
}

func TestRestoreCopiesWhereNoOverlayCanBeMounted(t *testing.T) {
	for _, why := range []string{"no overlay", "kept workspaces", "comma in the path"} {
		t.Run(why, func(t *testing.T) {
			p := localTestProvider(t, Options{Isolation: IsolationNone, Keep: why == "kept workspaces"})
			p.noOverlay.Store(why == "no overlay")
			snap, want := overlayFixture(t, p)
			if why == "comma in the path" {
				odd := filepath.Join(t.TempDir(), "a,b:c")
				if err := os.Rename(snap, odd); err != nil {
					t.Fatal(err)
				}
				snap = odd
			}
			ctx := context.Background()
			sb, err := p.Create(ctx, sandbox.Spec{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { p.Delete(ctx, sb.ID()) }()
			st, _ := sandbox.As[sandbox.SnapshotStore](sb)
			if err := st.RestoreFrom(ctx, snap); err != nil {
				t.Fatal(err)
			}
			if m := localMountsUnder(sb.WorkDir()); len(m) > 0 {
				t.Fatalf("mounted %v", m)
			}
			if got := sandboxtest.TreeHashes(t, sb.WorkDir()); !reflect.DeepEqual(got, want) {
				t.Fatalf("copied workspace:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestMountinfoEscapesAreDecoded(t *testing.T) {
	for in, want := range map[string]string{`/a\040b`: "/a b", `/x\134y`: `/x\y`, `/plain`: "/plain", `/bad\04`: `/bad\04`} {
		if got := localUnescapeMount(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	if strings.Contains(localUnescapeMount(`\012`), `\`) {
		t.Error("newline escape not decoded")
	}
}
