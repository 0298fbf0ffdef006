package session

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// fakeStore makes recording name.jsonl (unless noRec) and its snapshot
// store holding size bytes, both last changed age ago.
func fakeStore(t *testing.T, dir, name string, size int, age time.Duration, noRec bool) string {
	t.Helper()
	store := filepath.Join(dir, name+".snapshots")
	os.MkdirAll(filepath.Join(store, "0001"), 0o700)
	os.WriteFile(filepath.Join(store, snapshotMarker), []byte("tether workspace snapshots\n"), 0o600)
	os.WriteFile(filepath.Join(store, "0001", "f"), make([]byte, size), 0o644)
	os.Link(filepath.Join(store, "0001", "f"), filepath.Join(store, "0001", "same")) // counted once
	when := time.Now().Add(-age)
	if !noRec {
		rec := filepath.Join(dir, name+".jsonl")
		os.WriteFile(rec, []byte("{}\n"), 0o600)
		os.Chtimes(rec, when, when)
	}
	os.Chtimes(store, when, when)
	return store
}

func pruned(stores []SnapshotStore) map[string]bool {
	out := map[string]bool{}
	for _, s := range stores {
		if s.Prune != "" {
			out[filepath.Base(s.Dir)] = true
		}
	}
	return out
}

func TestPruneKeepsTheNewestStoresWithinTheLimitAndNeverALiveOne(t *testing.T) {
	dir := t.TempDir()
	const mb = 1 << 20
	fakeStore(t, dir, "a", mb, 4*time.Hour, false)
	fakeStore(t, dir, "b", mb, 3*time.Hour, false)
	fakeStore(t, dir, "c", mb, 2*time.Hour, false)
	fakeStore(t, dir, "orphan", mb, time.Hour, true)
	live := fakeStore(t, dir, "live", mb, 5*time.Hour, false)
	mounted := fakeStore(t, dir, "mounted", mb, 6*time.Hour, false)
	os.Mkdir(filepath.Join(dir, "other.snapshots"), 0o700) // no marker: not tether's
	held := holdStore(live)
	if held == nil {
		t.Fatal("could not lock the live store")
	}
	defer held.Close()
	inUse := []string{filepath.Join(mounted, "0001")}
	// The live and mounted stores count first (2 MB); c fits, b does not.
	pol := SnapshotPolicy{MaxBytes: 3*mb + mb/2}
	stores, err := PruneSnapshots(context.Background(), dir, pol, inUse, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"a.snapshots": true, "b.snapshots": true, "orphan.snapshots": true}
	if got := pruned(stores); !reflect.DeepEqual(got, want) {
		t.Fatalf("dry run would prune %v, want %v", got, want)
	}
	for _, s := range stores {
		if s.Bytes < mb || s.Bytes > mb+64<<10 {
			t.Fatalf("%s: %d bytes, want about 1 MB (hard links counted once)", s.Dir, s.Bytes)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.snapshots")); err != nil {
		t.Fatal("a dry run deleted a store")
	}
	if _, err := PruneSnapshots(context.Background(), dir, pol, inUse, false); err != nil {
		t.Fatal(err)
	}
	for name, gone := range map[string]bool{"a": true, "b": true, "orphan": true, "c": false, "live": false, "mounted": false} {
		_, err := os.Stat(filepath.Join(dir, name+".snapshots"))
		if gone != os.IsNotExist(err) {
			t.Errorf("%s.snapshots: gone=%v, want %v", name, os.IsNotExist(err), gone)
		}
		if _, err := os.Stat(filepath.Join(dir, name+".jsonl")); name != "orphan" && err != nil {
			t.Errorf("pruning removed the recording %s.jsonl", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "other.snapshots")); err != nil {
		t.Error("a directory without tether's marker was removed")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, prunePrefix+"*")); len(left) > 0 {
		t.Errorf("left %v", left)
	}
	// Released, the live store goes by age like any other.
	held.Close()
	stores, _ = PruneSnapshots(context.Background(), dir, SnapshotPolicy{MaxAge: 90 * time.Minute}, nil, true)
	if got := pruned(stores); !got["live.snapshots"] || !got["mounted.snapshots"] || !got["c.snapshots"] {
		t.Fatalf("by age, released: %v", got)
	}
}

func TestPruneSparesARunningSessionsStoreAndAForkOfAPrunedStepReplays(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "parent.jsonl")
	sb := ttSandbox(t)
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("c1", "echo hi > new.txt")}}, {text: "done"}}}
	s, err := New(Options{Sandbox: sb, Model: m, RecordPath: rec, Tools: fakeTools()})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	ctx := context.Background()
	if _, err := s.Run(ctx, "write new.txt"); err != nil {
		t.Fatal(err)
	}
	all := SnapshotPolicy{MaxBytes: 1} // nothing fits
	stores, err := PruneSnapshots(ctx, dir, all, nil, false)
	if err != nil || len(stores) != 1 || !stores[0].Live || stores[0].Prune != "" {
		t.Fatalf("the open session's store: %+v %v", stores, err)
	}
	if _, err := os.Stat(SnapshotDir(rec)); err != nil {
		t.Fatal("the open session's snapshots were pruned")
	}
	s.Close()
	if stores, err = PruneSnapshots(ctx, dir, all, nil, false); err != nil || len(stores) != 1 || stores[0].Prune == "" {
		t.Fatalf("after Close: %+v %v", stores, err)
	}
	if _, err := os.Stat(SnapshotDir(rec)); !os.IsNotExist(err) {
		t.Fatal("the closed session's snapshots were kept")
	}
	_, evs, _ := ReadRecordingFile(rec)
	var at int64
	for _, ev := range evs {
		if ev.Kind == KindObservation {
			at = ev.Seq
		}
	}
	branch, err := Fork(ctx, ttSandbox(t), rec, at, Edit{}, Options{Model: &fakeModel{}, Tools: fakeTools()})
	if err != nil {
		t.Fatal(err)
	}
	defer branch.Close()
	w := branch.Result().Workspace
	if w == nil || w.Method != "replay" || len(w.Unrestored) == 0 || !strings.Contains(w.Unrestored[0].Reason, "the snapshot is gone: pruned") {
		t.Fatalf("fork of a pruned step: %+v (want a replay that names the pruned snapshot)", w)
	}
}
