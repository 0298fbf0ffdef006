package local

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

func TestSnapshotStoreSkipsAnUnchangedWorkspaceAndRestoresIntoAnotherSandbox(t *testing.T) {
	p, sb := localTestSandbox(t, IsolationNone)
	ctx := context.Background()
	st, ok := sandbox.As[sandbox.SnapshotStore](sb)
	if !ok {
		t.Fatal("the local sandbox is not a SnapshotStore")
	}
	store := t.TempDir()
	w := sb.WorkDir()
	os.MkdirAll(filepath.Join(w, "src"), 0o755)
	os.WriteFile(filepath.Join(w, "src/a.go"), []byte("package a\n"), 0o644)
	os.Symlink("src/a.go", filepath.Join(w, "link"))
	want1 := sandboxtest.TreeHashes(t, w)
	s1 := filepath.Join(store, "1")
	if changed, err := st.SnapshotTo(ctx, s1, ""); err != nil || !changed {
		t.Fatalf("first snapshot: changed=%v err=%v", changed, err)
	}
	if changed, err := st.SnapshotTo(ctx, filepath.Join(store, "2"), s1); err != nil || changed {
		t.Fatalf("snapshot of an unchanged workspace: changed=%v err=%v (want no new snapshot)", changed, err)
	}
	if _, err := os.Stat(filepath.Join(store, "2")); !os.IsNotExist(err) {
		t.Fatal("an unchanged workspace left a snapshot directory")
	}
	// Each kind of change is seen: content of the same size, a new file, a
	// removed file, a retargeted symlink, a mode.
	changes := []func(){
		func() {
			os.WriteFile(filepath.Join(w, "src/a.go"), []byte("package b\n"), 0o644)
			later := time.Now().Add(time.Second)
			os.Chtimes(filepath.Join(w, "src/a.go"), later, later)
		},
		func() { os.WriteFile(filepath.Join(w, "new"), nil, 0o644) },
		func() { os.Remove(filepath.Join(w, "new")) },
		func() { os.Remove(filepath.Join(w, "link")); os.Symlink("src", filepath.Join(w, "link")) },
		func() { os.Chmod(filepath.Join(w, "src/a.go"), 0o600) },
	}
	prev := s1
	for i, change := range changes {
		change()
		next := filepath.Join(store, "c", string(rune('a'+i)))
		changed, err := st.SnapshotTo(ctx, next, prev)
		if err != nil || !changed {
			t.Fatalf("change %d: changed=%v err=%v (want a new snapshot)", i, changed, err)
		}
		prev = next
	}
	want2 := sandboxtest.TreeHashes(t, w)

	// A second sandbox of the provider (a fork) gets either state back.
	other, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	ost, _ := sandbox.As[sandbox.SnapshotStore](other)
	os.WriteFile(filepath.Join(other.WorkDir(), "stray"), []byte("x"), 0o644)
	if err := ost.RestoreFrom(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if got := sandboxtest.TreeHashes(t, other.WorkDir()); !reflect.DeepEqual(got, want1) {
		t.Fatalf("restore of the first snapshot:\n got %v\nwant %v", got, want1)
	}
	if err := ost.RestoreFrom(ctx, prev); err != nil {
		t.Fatal(err)
	}
	if got := sandboxtest.TreeHashes(t, other.WorkDir()); !reflect.DeepEqual(got, want2) {
		t.Fatalf("restore of the last snapshot:\n got %v\nwant %v", got, want2)
	}
	if err := ost.RestoreFrom(ctx, filepath.Join(store, "missing")); err == nil {
		t.Fatal("a missing snapshot restored without error")
	}
}

func TestSnapshotKeepsSetuidSetgidAndStickyBits(t *testing.T) {
	p, sb := localTestSandbox(t, IsolationNone)
	ctx := context.Background()
	st, _ := sandbox.As[sandbox.SnapshotStore](sb)
	w := sb.WorkDir()
	os.WriteFile(filepath.Join(w, "tool"), []byte("#!/bin/sh\n"), 0o755)
	os.Chmod(filepath.Join(w, "tool"), 0o755|os.ModeSetuid|os.ModeSetgid)
	os.Mkdir(filepath.Join(w, "shared"), 0o777)
	os.Chmod(filepath.Join(w, "shared"), 0o777|os.ModeSticky)
	store := t.TempDir()
	s1 := filepath.Join(store, "1")
	if _, err := st.SnapshotTo(ctx, s1, ""); err != nil {
		t.Fatal(err)
	}
	// Unchanged: no new snapshot (a dropped bit made every step differ).
	if changed, err := st.SnapshotTo(ctx, filepath.Join(store, "2"), s1); err != nil || changed {
		t.Fatalf("unchanged workspace with a setuid file: changed=%v err=%v", changed, err)
	}
	other, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	p.noOverlay.Store(true) // the copy must keep them too
	ost, _ := sandbox.As[sandbox.SnapshotStore](other)
	if err := ost.RestoreFrom(ctx, s1); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(other.WorkDir(), "tool"))
	if err != nil || fi.Mode() != 0o755|os.ModeSetuid|os.ModeSetgid {
		t.Fatalf("restored tool: %v %v", fi.Mode(), err)
	}
	di, err := os.Lstat(filepath.Join(other.WorkDir(), "shared"))
	if err != nil || di.Mode()&os.ModeSticky == 0 {
		t.Fatalf("restored shared dir lost its sticky bit: %v %v", di.Mode(), err)
	}
}
