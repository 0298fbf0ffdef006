package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

func TestSnapshotRestoresTheWorkspaceExactly(t *testing.T) {
	_, sb := localTestSandbox(t, IsolationNone)
	ctx := context.Background()
	snap, ok := sandbox.As[sandbox.Snapshotter](sb)
	if !ok {
		t.Fatal("the local sandbox is not a Snapshotter")
	}
	w := sb.WorkDir()
	os.MkdirAll(filepath.Join(w, "src/deep"), 0o755)
	os.WriteFile(filepath.Join(w, "src/a.go"), []byte("package a\n"), 0o644)
	os.WriteFile(filepath.Join(w, "src/deep/run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	os.Symlink("src/a.go", filepath.Join(w, "link"))
	want := sandboxtest.TreeHashes(t, w)
	id1, err := snap.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Change in place (what a shell's >> does: same inode), add, delete.
	f, _ := os.OpenFile(filepath.Join(w, "src/a.go"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("func A() {}\n")
	f.Close()
	os.WriteFile(filepath.Join(w, "new.txt"), []byte("new"), 0o600)
	os.Remove(filepath.Join(w, "src/deep/run.sh"))
	step2 := sandboxtest.TreeHashes(t, w)
	id2, err := snap.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Restore(ctx, id1); err != nil {
		t.Fatal(err)
	}
	if got := sandboxtest.TreeHashes(t, w); !reflect.DeepEqual(got, want) {
		t.Fatalf("restore of snapshot 1:\n got %v\nwant %v", got, want)
	}
	// Writing into the restored workspace must not reach the snapshot.
	os.WriteFile(filepath.Join(w, "src/a.go"), []byte("clobbered"), 0o644)
	if err := snap.Restore(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if got := sandboxtest.TreeHashes(t, w); !reflect.DeepEqual(got, step2) {
		t.Fatalf("restore of snapshot 2:\n got %v\nwant %v", got, step2)
	}
	if err := snap.Restore(ctx, id1); err != nil {
		t.Fatal(err)
	}
	if got := sandboxtest.TreeHashes(t, w); !reflect.DeepEqual(got, want) {
		t.Fatal("snapshot 1 changed after the workspace was written")
	}
	if err := snap.Restore(ctx, "../../etc"); err == nil {
		t.Fatal("a made-up snapshot id was accepted")
	}
}

// BenchmarkSnapshotStep measures one snapshot of a 10k-file, 200 MB
// workspace after one file changed (the cost per tool call).
func BenchmarkSnapshotStep(b *testing.B) {
	_, sb := localTestSandbox(b, IsolationNone)
	w := sb.WorkDir()
	chunk := make([]byte, 20<<10) // 10k × 20 KB = 200 MB
	for i := range 10000 {
		d := filepath.Join(w, fmt.Sprintf("d%02d", i%100))
		os.MkdirAll(d, 0o755)
		chunk[0] = byte(i)
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d", i)), chunk, 0o644)
	}
	snap, _ := sandbox.As[sandbox.Snapshotter](sb)
	ctx := context.Background()
	if _, err := snap.Snapshot(ctx); err != nil { // the first copies everything
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.WriteFile(filepath.Join(w, "d00", "f0"), []byte(fmt.Sprint(i)), 0o644)
		if _, err := snap.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
