package sandbox

import "context"

// Optional capabilities. Consumers check for them with a type assertion
// (or As, which looks through wrappers such as the Registry's); both
// providers implement all of them.

// Opener is a Provider that can attach to a sandbox that already exists,
// for example one kept by an earlier run.
type Opener interface {
	Open(ctx context.Context, id string) (Sandbox, error)
}

// LabelSetter is a Sandbox whose labels can change after creation.
type LabelSetter interface {
	SetLabels(ctx context.Context, labels map[string]string) error
}

// Unwrapper is a Sandbox that wraps another (the Registry's tracking
// wrapper, a caller's own).
type Unwrapper interface {
	Unwrap() Sandbox
}

// As looks through wrappers (Unwrapper) for a sandbox that implements T,
// as errors.As does for errors.
func As[T any](sb Sandbox) (T, bool) {
	for sb != nil {
		if t, ok := sb.(T); ok {
			return t, true
		}
		u, ok := sb.(Unwrapper)
		if !ok {
			break
		}
		sb = u.Unwrap()
	}
	var zero T
	return zero, false
}

// UserLabels returns the labels a user set or cares about, without tether's
// own bookkeeping for cleanup (created-by, host, pid). The run id stays: it
// names the run.
func UserLabels(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		switch k {
		case LabelCreatedBy, LabelHost, LabelPID:
			continue
		}
		out[k] = v
	}
	return out
}

// SnapshotID names one snapshot of a sandbox's workspace.
type SnapshotID string

// Snapshotter is a Sandbox that can save its workspace's files and put
// them back exactly (contents, modes, symlinks; files made since are
// removed), for forking a session at an earlier step.
type Snapshotter interface {
	Snapshot(ctx context.Context) (SnapshotID, error)
	Restore(ctx context.Context, id SnapshotID) error
}

// SnapshotStore is a Snapshotter whose snapshots are host directories the
// caller names, so they outlive the sandbox and restore into another
// sandbox of the same provider (a fork of a recorded session).
type SnapshotStore interface {
	// SnapshotTo saves the workspace into dir (which must not exist)
	// unless nothing changed since the snapshot at prev ("" = none):
	// changed says whether dir was made. Unchanged files may share
	// storage with prev's.
	SnapshotTo(ctx context.Context, dir, prev string) (changed bool, err error)
	// RestoreFrom puts the workspace back exactly as snapshot dir holds it.
	RestoreFrom(ctx context.Context, dir string) error
}

// Forker is a Provider that can make a new sandbox whose files are a copy
// of a live sandbox's as they are now (Daytona's fork): a branch of a
// session at its current step gets the exact state, nothing replayed.
// spec gives the new sandbox's name, labels and timeout; what the source
// was made from (image, resources) it inherits.
type Forker interface {
	Fork(ctx context.Context, sourceID string, spec Spec) (Sandbox, error)
}

// ImageSnapshotter is a Sandbox that can save its whole filesystem as a
// snapshot kept by the provider under name, from which the provider's
// Create makes new sandboxes (Spec.Snapshot = name): Daytona's sandbox
// snapshots. They are slow and billed, so a provider offers this only
// when configured to. SnapshotImage returns once the snapshot is usable.
type ImageSnapshotter interface {
	SnapshotImage(ctx context.Context, name string) error
}
