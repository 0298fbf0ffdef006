package local

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tether-dev/tether/sandbox"
)

// benchWorkspace fills a workspace with 10k files of 20 KB (200 MB).
func benchWorkspace(b *testing.B, w string) {
	chunk := make([]byte, 20<<10)
	for i := range 10000 {
		d := filepath.Join(w, fmt.Sprintf("d%02d", i%100))
		os.MkdirAll(d, 0o755)
		chunk[0] = byte(i)
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d", i)), chunk, 0o644)
	}
}

// diskBytes is the space a snapshot adds: files it does not share with
// an earlier snapshot (one link), and its directories.
func diskBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) == nil && (d.IsDir() || st.Nlink == 1) {
			n += st.Blocks * 512
		}
		return nil
	})
	return n
}

// BenchmarkSnapshotStoreStep measures what a tool call costs the session
// on a 10k-file, 200 MB workspace: one file changed (a new snapshot,
// unchanged files hard-linked) or nothing changed (a stat walk only).
// disk-B/op is the space a changed step's snapshot adds.
func BenchmarkSnapshotStoreStep(b *testing.B) {
	for _, changed := range []bool{true, false} {
		name := "unchanged"
		if changed {
			name = "one-file-changed"
		}
		b.Run(name, func(b *testing.B) {
			_, sb := localTestSandbox(b, IsolationNone)
			w := sb.WorkDir()
			benchWorkspace(b, w)
			st, _ := sandbox.As[sandbox.SnapshotStore](sb)
			ctx := context.Background()
			store := b.TempDir()
			prev := filepath.Join(store, "0")
			if _, err := st.SnapshotTo(ctx, prev, ""); err != nil {
				b.Fatal(err)
			}
			var disk int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if changed {
					os.WriteFile(filepath.Join(w, "d00", "f0"), []byte(fmt.Sprint(i)), 0o644)
				}
				next := filepath.Join(store, fmt.Sprint(i+1))
				made, err := st.SnapshotTo(ctx, next, prev)
				if err != nil || made != changed {
					b.Fatalf("made=%v err=%v", made, err)
				}
				if made {
					b.StopTimer()
					disk += diskBytes(next)
					b.StartTimer()
					prev = next
				}
			}
			b.ReportMetric(float64(disk)/float64(b.N), "disk-B/op")
		})
	}
}

// BenchmarkRestoreFrom measures putting a 10k-file, 200 MB workspace back
// from a snapshot into a fresh sandbox (the sandbox part of a fork's
// latency): by overlay (root) or by copy, and, under bubblewrap, until a
// first command has run in the restored workspace (the init rebound).
func BenchmarkRestoreFrom(b *testing.B) {
	for _, c := range []struct {
		name, iso string
		copy, cmd bool
	}{
		{"overlay", IsolationNone, false, false},
		{"copy", IsolationNone, true, false},
		{"overlay-bwrap-first-command", IsolationBwrap, false, true},
		{"copy-bwrap-first-command", IsolationBwrap, true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.iso == IsolationBwrap {
				localNeedBwrap(b)
			}
			p, src := localTestSandbox(b, c.iso)
			p.noOverlay.Store(c.copy)
			benchWorkspace(b, src.WorkDir())
			st, _ := sandbox.As[sandbox.SnapshotStore](src)
			ctx := context.Background()
			snap := filepath.Join(b.TempDir(), "1")
			if _, err := st.SnapshotTo(ctx, snap, ""); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				sb, err := p.Create(ctx, sandbox.Spec{})
				if err != nil {
					b.Fatal(err)
				}
				if c.cmd {
					sandbox.Run(ctx, sb, "true") // its init is up, as in a fork
				}
				b.StartTimer()
				ost, _ := sandbox.As[sandbox.SnapshotStore](sb)
				if err := ost.RestoreFrom(ctx, snap); err != nil {
					b.Fatal(err)
				}
				if c.cmd {
					if res, err := sandbox.Run(ctx, sb, "test -f d00/f0"); err != nil || res.ExitCode != 0 {
						b.Fatalf("%+v %v", res, err)
					}
				}
				b.StopTimer()
				sb.Close(ctx)
				b.StartTimer()
			}
		})
	}
}
