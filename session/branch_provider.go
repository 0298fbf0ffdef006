package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// A branch's sandbox made by the provider holding the recorded files
// itself, where it can (Daytona): a fork of the recorded sandbox while it
// is alive and the fork point is its current step (sandbox.Forker: exact,
// nothing replayed), or a new sandbox created from the provider snapshot
// taken at or before the fork point (sandbox.ImageSnapshotter, recorded as
// Workspace.ProviderSnapshot), the calls after it replayed.

// Restore methods (Restore.Method), as recorded: the values are part of
// the recording format.
const (
	RestoreSnapshot         = "snapshot"          // copied back from a recorded workspace snapshot
	RestoreSameSandbox      = "same sandbox"      // the recorded sandbox is still there: nothing to do
	RestoreReplay           = "replay"            // the recorded edits and commands run again
	RestoreFresh            = "fresh"             // nothing had changed the files: a fresh sandbox is that state
	RestoreFork             = "fork"              // the live sandbox forked by its provider
	RestoreProviderSnapshot = "provider snapshot" // created from the provider's snapshot
	RestoreNone             = "none"              // not restored
)

// providerBranch is what Start had the provider do for a branch's files.
type providerBranch struct {
	method   string // RestoreFork, RestoreProviderSnapshot, "" = nothing (failed)
	from     int64  // the event whose state the provider restored
	source   string // the forked sandbox, or the snapshot's name
	took     time.Duration
	failures []Unrestored // what the provider was asked and could not do
}

// branchSandbox creates the sandbox of a fork or resume through the
// provider's own fork or snapshot calls when the recording allows it; a
// nil sandbox means create as usual (pb then says what failed, if
// anything). triedSource says the recorded sandbox was already found gone
// (a resume's Reuse), so there is no live sandbox to fork.
func branchSandbox(ctx context.Context, l Launch, triedSource bool) (sandbox.Sandbox, *providerBranch) {
	if l.From == nil || l.Provider == nil {
		return nil, nil
	}
	hdr, evs, err := ReadRecordingFile(l.From.Recording)
	if err != nil || len(evs) == 0 || hdr.Sandbox == nil || hdr.Sandbox.Provider != l.Provider.Name() {
		return nil, nil // Fork says what is wrong with the recording
	}
	at := l.From.At
	point := at
	if point == 0 {
		point = evs[len(evs)-1].Seq
	}
	pb := &providerBranch{}
	start := time.Now()
	if f, ok := l.Provider.(sandbox.Forker); ok && !triedSource && hdr.Sandbox.ID != "" && !filesChangedAfter(evs, at) {
		sb, err := f.Fork(ctx, hdr.Sandbox.ID, l.Spec)
		if err == nil {
			pb.method, pb.from, pb.source, pb.took = RestoreFork, point, hdr.Sandbox.ID, time.Since(start)
			return sb, pb
		}
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return nil, nil
		case errors.Is(err, sandbox.ErrNotFound):
			// Gone (deleted, or a resume's own sandbox): nothing live
			// to fork, which is no failure of the restore.
		default:
			pb.failures = append(pb.failures, Unrestored{Event: point, Reason: fmt.Sprintf(
				"%s could not fork the recorded sandbox %s (%v)", l.Provider.Name(), hdr.Sandbox.ID, err)})
		}
	}
	if seq, name := findProviderSnapshot(evs, at); name != "" {
		spec := l.Spec
		spec.Snapshot, spec.Image, spec.CPU, spec.MemoryGB, spec.DiskGB = name, "", 0, 0, 0
		start = time.Now()
		sb, err := l.Provider.Create(ctx, spec)
		if err == nil {
			pb.method, pb.from, pb.source, pb.took = RestoreProviderSnapshot, seq, name, time.Since(start)
			return sb, pb
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil, nil
		}
		pb.failures = append(pb.failures, Unrestored{Event: seq, Reason: fmt.Sprintf(
			"a sandbox could not be made from the %s snapshot %s taken there (%v)", l.Provider.Name(), name, err)})
	}
	if len(pb.failures) == 0 {
		return nil, nil
	}
	return nil, pb
}

// filesChangedAfter reports whether a tool call that may change files ran
// (or was running) after event at, or the user changed files at the wheel:
// then the recorded sandbox has moved on from that point. at 0 is the
// end: nothing came after.
func filesChangedAfter(evs []Event, at int64) bool {
	if at == 0 {
		return false
	}
	for _, ev := range evs {
		if ev.Seq <= at {
			continue
		}
		if ev.Kind == KindAction && ev.Action != nil && mayChangeFiles(ev.Action.Tool, ev.Action.Args) && ran(evs, ev.Action.ToolCallID) ||
			ev.Kind == KindWheel && ev.Wheel != nil && (len(ev.Wheel.Files) > 0 || ev.Wheel.FilesUnknown != "") {
			return true
		}
	}
	return false
}

// ran reports whether a recorded call ran (or may have): it has no
// observation (it was running when the recording stopped) or one that
// says it ran.
func ran(evs []Event, id string) bool {
	for _, ev := range evs {
		if ev.Kind == KindObservation && ev.Observation != nil && ev.Observation.ToolCallID == id {
			return !ev.Observation.Rejected && !ev.Observation.NotRun
		}
	}
	return true
}

// mayChangeFiles says whether a call of tool with args can change the
// workspace: what replay runs again and what a provider snapshot follows.
func mayChangeFiles(tool string, args json.RawMessage) bool {
	switch tool {
	case ToolFinish, ToolTaskTracker:
		return false
	case ToolFileEditor:
		var a struct {
			Command string `json:"command"`
		}
		return json.Unmarshal(args, &a) != nil || a.Command != "view"
	}
	return true
}

// findProviderSnapshot returns the latest provider snapshot recorded at
// or before event at (0 = the end).
func findProviderSnapshot(evs []Event, at int64) (int64, string) {
	var seq int64
	name := ""
	for _, ev := range evs {
		if at > 0 && ev.Seq > at {
			break
		}
		if ev.Kind == KindWorkspace && ev.Workspace != nil && ev.Workspace.ProviderSnapshot != "" {
			seq, name = ev.Seq, ev.Workspace.ProviderSnapshot
		}
	}
	return seq, name
}

// restoreByProvider finishes a branch the provider made (or failed to):
// nothing more after a fork; the calls after its snapshot replayed after
// a provider snapshot; the usual restore, with what failed named first,
// when the provider could not.
func (s *Session) restoreByProvider(ctx context.Context, pb *providerBranch, hdr RecordHeader, evs []Event, at int64) *Restore {
	var r *Restore
	switch pb.method {
	case RestoreFork:
		r = &Restore{Method: RestoreFork, From: pb.from, Snapshot: pb.source}
	case RestoreProviderSnapshot:
		r = s.replaySince(ctx, evs, pb.from, at)
		r.Method, r.From, r.Snapshot = RestoreProviderSnapshot, pb.from, pb.source
	default:
		r = s.restoreFromRecording(ctx, hdr, evs, at)
	}
	failed := make([]Unrestored, len(pb.failures))
	for i, f := range pb.failures {
		f.Reason += ": " + fallbackWords(r.Method)
		failed[i] = f
	}
	r.Unrestored = append(failed, r.Unrestored...)
	return r
}
