package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// SnapshotPolicy is the configured pruning of workspace snapshots.
func SnapshotPolicy(cfg config.Config) session.SnapshotPolicy {
	return session.SnapshotPolicy{
		MaxBytes: int64(cfg.Session.SnapshotsMaxGB * (1 << 30)),
		MaxAge:   time.Duration(cfg.Session.SnapshotsKeepDays) * 24 * time.Hour,
	}
}

// PruneSnapshots applies the configured policy to the recordings
// directory's snapshot stores (only lists them with dryRun). using are
// recordings this run is about to fork or resume: their stores are kept.
// Stores a local sandbox's workspace is an overlay of are kept too.
func PruneSnapshots(ctx context.Context, cfg config.Config, dryRun bool, using ...string) ([]session.SnapshotStore, error) {
	inUse := local.OverlayLowerDirs()
	for _, rec := range using {
		if rec != "" {
			inUse = append(inUse, session.SnapshotDir(rec))
		}
	}
	return session.PruneSnapshots(ctx, RecordDir(cfg), SnapshotPolicy(cfg), inUse, dryRun)
}

var pruneOnce sync.Once

// PruneSnapshotsInBackground prunes once per process, at start, without
// delaying it; what it removed goes to the log. A prune cut short by the
// process's end leaves nothing half-deleted under a store's name.
func PruneSnapshotsInBackground(cfg config.Config, log *slog.Logger, using ...string) {
	pruneOnce.Do(func() {
		go func() {
			stores, err := PruneSnapshots(context.Background(), cfg, false, using...)
			for _, s := range stores {
				if s.Prune != "" {
					log.Info("pruned workspace snapshots", "dir", s.Dir, "bytes", s.Bytes, "why", s.Prune)
				}
			}
			if err != nil {
				log.Warn("pruning workspace snapshots", "err", err)
			}
		}()
	})
}
