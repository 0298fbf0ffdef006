package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Pruning. Snapshot stores (X.snapshots beside X.jsonl) take disk space a
// user does not see; they are pruned whole, a session's at a time, oldest
// first, by a SnapshotPolicy (config: [session] snapshots_max_gb,
// snapshots_keep_days), at start and by `tether cleanup --snapshots`. The
// recording stays: a fork of a pruned step rebuilds the files by replay
// and says so. Never pruned: a store a live session holds (a shared flock
// on its marker, which a kill -9 releases) and one a sandbox's workspace
// is an overlay of. A store is renamed away before it is deleted, so one
// cut short half-way (tether killed) is never taken for a snapshot.

// SnapshotPolicy says which snapshot stores are kept.
type SnapshotPolicy struct {
	MaxBytes int64         // all stores together; 0 = no limit
	MaxAge   time.Duration // since the store's session last changed; 0 = no limit
}

// SnapshotStore is one recording's snapshots on disk.
type SnapshotStore struct {
	Dir       string    `json:"dir"`
	Recording string    `json:"recording,omitempty"` // "" when the recording is gone
	Bytes     int64     `json:"bytes"`               // disk used (each file once)
	Modified  time.Time `json:"modified"`
	Live      bool      `json:"live,omitempty"`  // a running session or sandbox uses it
	Prune     string    `json:"prune,omitempty"` // why the policy removes it; "" = kept
}

// prunePrefix names a store being deleted.
const prunePrefix = ".pruning-"

// SnapshotStores lists the snapshot stores in and below recordDir (suite
// runs record in subdirectories), newest first. inUse are directories a
// live sandbox's workspace is made of (overlay lower layers) or that this
// run is about to restore from: a store holding one is live.
func SnapshotStores(ctx context.Context, recordDir string, inUse []string) ([]SnapshotStore, error) {
	var dirs []string
	err := filepath.WalkDir(recordDir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			if p == recordDir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // no recordings yet
			}
			return nil // an unreadable corner: skipped
		case !d.IsDir():
			return nil
		case strings.HasSuffix(p, ".snapshots"):
			dirs = append(dirs, p)
			return fs.SkipDir
		case strings.HasPrefix(d.Name(), prunePrefix):
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []SnapshotStore
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		st, err := os.Lstat(d)
		if err != nil || !st.IsDir() {
			continue
		}
		if _, err := os.Lstat(filepath.Join(d, snapshotMarker)); err != nil {
			continue // not tether's: never touched
		}
		s := SnapshotStore{Dir: d, Modified: st.ModTime(), Bytes: diskUse(d)}
		rec := strings.TrimSuffix(d, ".snapshots") + ".jsonl"
		if ri, err := os.Stat(rec); err == nil {
			s.Recording = rec
			if ri.ModTime().After(s.Modified) {
				s.Modified = ri.ModTime()
			}
		}
		s.Live = storeLocked(d)
		for _, u := range inUse {
			if u == d || strings.HasPrefix(u, d+"/") {
				s.Live = true
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Modified.After(out[j].Modified) })
	return out, nil
}

// PlanPrune marks (Prune) the stores pol removes: every store whose
// recording is gone, those older than MaxAge, and the oldest until the
// rest fit in MaxBytes. Live stores are kept and count toward MaxBytes.
// stores are newest first, as SnapshotStores returns them.
func PlanPrune(stores []SnapshotStore, pol SnapshotPolicy, now time.Time) {
	var total int64
	for _, s := range stores {
		if s.Live {
			total += s.Bytes
		}
	}
	for i := range stores {
		s := &stores[i]
		s.Prune = ""
		switch {
		case s.Live:
		case s.Recording == "":
			s.Prune = "its recording is gone"
		case pol.MaxAge > 0 && now.Sub(s.Modified) > pol.MaxAge:
			s.Prune = fmt.Sprintf("older than %s", days(pol.MaxAge))
		case pol.MaxBytes > 0 && total+s.Bytes > pol.MaxBytes:
			s.Prune = fmt.Sprintf("over the %s limit (newer sessions' snapshots kept first)", gb(pol.MaxBytes))
		default:
			total += s.Bytes
		}
	}
}

// PruneSnapshots applies pol to recordDir's stores and, unless dryRun,
// deletes those it marks (checking again that each is not live). It
// returns every store, with Prune set on those removed (or, in a dry
// run, to be removed).
func PruneSnapshots(ctx context.Context, recordDir string, pol SnapshotPolicy, inUse []string, dryRun bool) ([]SnapshotStore, error) {
	stores, err := SnapshotStores(ctx, recordDir, inUse)
	if err != nil {
		return nil, fmt.Errorf("list snapshot stores in %s: %w", recordDir, err)
	}
	PlanPrune(stores, pol, time.Now())
	if dryRun {
		return stores, nil
	}
	var errs []error
	for i := range stores {
		s := &stores[i]
		if s.Prune == "" {
			continue
		}
		if err := removeStore(s.Dir); err != nil {
			if errors.Is(err, errStoreLive) {
				s.Live, s.Prune = true, ""
				continue
			}
			errs = append(errs, err)
		}
	}
	// Stores a killed prune left half-deleted.
	for _, s := range stores {
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(s.Dir), prunePrefix+"*"))
		for _, d := range left {
			_ = os.RemoveAll(d)
		}
	}
	left, _ := filepath.Glob(filepath.Join(recordDir, prunePrefix+"*"))
	for _, d := range left {
		_ = os.RemoveAll(d)
	}
	return stores, errors.Join(errs...)
}

var errStoreLive = errors.New("a live session holds it")

// removeStore deletes a store unless a session holds it: with its marker
// locked exclusively, the store is renamed away, then removed.
func removeStore(dir string) error {
	f, err := os.Open(filepath.Join(dir, snapshotMarker))
	if err != nil {
		return fmt.Errorf("prune %s: %w", dir, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errStoreLive
	}
	gone := filepath.Join(filepath.Dir(dir), prunePrefix+strconv.Itoa(os.Getpid())+"-"+filepath.Base(dir))
	if err := os.Rename(dir, gone); err != nil {
		return fmt.Errorf("prune %s: %w", dir, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("prune %s: %w (remove %s by hand)", dir, err, gone)
	}
	return nil
}

// storeLocked reports whether a live session holds the store.
func storeLocked(dir string) bool {
	f, err := os.Open(filepath.Join(dir, snapshotMarker))
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// holdStore takes a shared lock on a store's marker for as long as the
// session lives, so no prune removes it; nil when it cannot (then the
// store is merely unprotected).
func holdStore(dir string) *os.File {
	f, err := os.Open(filepath.Join(dir, snapshotMarker))
	if err != nil {
		return nil
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) != nil {
		f.Close()
		return nil
	}
	return f
}

// diskUse is the space dir's files take, each inode once (snapshots of
// one session share unchanged files by hard links).
func diskUse(dir string) int64 {
	seen := map[[2]uint64]bool{}
	var n int64
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) != nil {
			return nil
		}
		k := [2]uint64{uint64(st.Dev), st.Ino}
		if !seen[k] {
			seen[k] = true
			n += st.Blocks * 512
		}
		return nil
	})
	return n
}

func days(d time.Duration) string {
	if n := d.Hours() / 24; n >= 1 {
		return strconv.FormatFloat(n, 'f', -1, 64) + " days"
	}
	return d.String()
}

func gb(n int64) string { return strconv.FormatFloat(float64(n)/(1<<30), 'f', -1, 64) + " GB" }
