package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// restoreWorkspace puts a branch's sandbox back as the recorded session's
// workspace was at event at (0 = the end): from the recorded snapshot
// when the sandbox can restore one, else by running the recorded file
// edits and commands again. It publishes what it did (KindWorkspace) and
// keeps it for the Result.
func (s *Session) restoreWorkspace(ctx context.Context, hdr RecordHeader, evs []Event, at int64) {
	start := time.Now()
	var r *Restore
	if pb := s.opts.branch; pb != nil {
		r = s.restoreByProvider(ctx, pb, hdr, evs, at)
		r.Took = pb.took
	} else {
		r = s.restoreFromRecording(ctx, hdr, evs, at)
	}
	r.Took += time.Since(start)
	ws := &Workspace{Restored: r}
	if r.Method == RestoreSnapshot {
		ws.Snapshot = r.Snapshot
		s.snapMu.Lock()
		s.snaps.last = r.Snapshot // the branch's next snapshot shares its files
		s.snaps.hold(filepath.Dir(r.Snapshot))
		s.snapMu.Unlock()
	}
	s.publish(Event{Kind: KindWorkspace, Workspace: ws})
	s.mu.Lock()
	s.restored = r
	s.result.Workspace = r
	s.mu.Unlock()
}

// restoreFromRecording puts the files back from what the recording holds:
// the sandbox itself when it is the recorded one, a local snapshot, else
// a replay.
func (s *Session) restoreFromRecording(ctx context.Context, hdr RecordHeader, evs []Event, at int64) *Restore {
	var r *Restore
	snapAt, snapDir := findSnapshot(evs, at)
	switch {
	case sameSandbox(hdr, s.sb, at):
		r = &Restore{Method: RestoreSameSandbox}
	case snapDir != "" && canRestore(s.sb):
		r = s.restoreSnapshot(ctx, snapDir, snapAt)
		if r == nil && ctx.Err() != nil { // the branch was closed: replay nothing
			r = &Restore{Method: RestoreNone, Unrestored: []Unrestored{{Event: snapAt, Reason: "the restore was cancelled (the branch was closed): the workspace is incomplete"}}}
		}
		if r == nil { // the snapshot is gone or the sandbox cannot: replay
			r = s.replay(ctx, evs, at)
			r.Unrestored = append([]Unrestored{{Event: snapAt, Reason: "its snapshot could not be restored (" + s.restoreErr + "): the workspace was rebuilt by replay"}}, r.Unrestored...)
		}
	default:
		r = s.replay(ctx, evs, at)
	}
	return r
}

// findSnapshot returns the latest recorded snapshot at or before event at
// (0 = the end), or the baseline taken before the first tool call when
// the fork point comes before it.
func findSnapshot(evs []Event, at int64) (int64, string) {
	var seq int64
	dir, baseline := "", ""
	for _, ev := range evs {
		if ev.Kind != KindWorkspace || ev.Workspace == nil || ev.Workspace.Snapshot == "" {
			continue
		}
		if at > 0 && ev.Seq > at {
			if baseline == "" && dir == "" && ev.Workspace.After == "" {
				baseline = ev.Workspace.Snapshot
			}
			continue
		}
		seq, dir = ev.Seq, ev.Workspace.Snapshot
	}
	if dir == "" && baseline != "" {
		return 0, baseline
	}
	return seq, dir
}

// sameSandbox reports whether a resume goes on in the recorded sandbox
// itself (nothing to restore).
func sameSandbox(hdr RecordHeader, sb sandbox.Sandbox, at int64) bool {
	return at == 0 && hdr.Sandbox != nil && hdr.Sandbox.ID != "" && hdr.Sandbox.ID == sb.ID()
}

func canRestore(sb sandbox.Sandbox) bool {
	_, ok := sandbox.As[sandbox.SnapshotStore](sb)
	return ok
}

func (s *Session) restoreSnapshot(ctx context.Context, dir string, from int64) *Restore {
	st, ok := sandbox.As[sandbox.SnapshotStore](s.sb)
	if !ok {
		s.restoreErr = "this sandbox provider cannot restore local snapshots"
		return nil
	}
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		s.restoreErr = "the snapshot is gone: pruned (see [session] snapshots_max_gb) or deleted"
		return nil
	}
	if err := ValidSnapshot(dir); err != nil {
		s.restoreErr = err.Error()
		return nil
	}
	if err := st.RestoreFrom(ctx, dir); err != nil {
		s.restoreErr = err.Error()
		return nil
	}
	return &Restore{Method: RestoreSnapshot, From: from, Snapshot: dir}
}

// replay runs the recorded tool calls that may have changed the files,
// up to event at, through the branch's own tools (so the terminal's
// working directory follows), and lists those whose result differs or
// that cannot be run again.
func (s *Session) replay(ctx context.Context, evs []Event, at int64) *Restore {
	return s.replaySince(ctx, evs, 0, at)
}

// replaySince is replay of the calls made after event after only (whose
// effects a provider snapshot taken at after does not hold).
func (s *Session) replaySince(ctx context.Context, evs []Event, after, at int64) *Restore {
	r := &Restore{Method: RestoreReplay}
	actions := map[string]*Action{}
	seqOf := map[string]int64{}
	for _, ev := range evs {
		if at > 0 && ev.Seq > at {
			break
		}
		switch {
		case ev.Kind == KindWheel && ev.Wheel != nil && ev.Seq > after && (len(ev.Wheel.Files) > 0 || ev.Wheel.FilesUnknown != ""):
			r.Unrestored = append(r.Unrestored, Unrestored{Event: ev.Seq, Tool: "wheel", Reason: "you changed files in your own shell (take the wheel): what you typed there is not replayed"})
		case ev.Kind == KindAction && ev.Action != nil && ev.Seq > after:
			actions[ev.Action.ToolCallID], seqOf[ev.Action.ToolCallID] = ev.Action, ev.Seq
		case ev.Kind == KindObservation && ev.Observation != nil:
			a := actions[ev.Observation.ToolCallID]
			delete(actions, ev.Observation.ToolCallID)
			if a == nil || ev.Observation.Rejected || ev.Observation.NotRun {
				continue
			}
			if u, ran := s.replayCall(ctx, seqOf[a.ToolCallID], a, ev.Observation); ran {
				r.Replayed++
				r.ReplayedEvents = append(r.ReplayedEvents, seqOf[a.ToolCallID])
				if u != nil {
					r.Unrestored = append(r.Unrestored, *u)
				}
			} else if u != nil {
				r.Unrestored = append(r.Unrestored, *u)
			}
		}
	}
	for id, a := range actions { // running when the session stopped
		r.Unrestored = append(r.Unrestored, Unrestored{Event: seqOf[id], Tool: a.Tool, Reason: "it was running when the recording stopped: its partial effects are not replayed"})
	}
	if r.Replayed == 0 && len(r.Unrestored) == 0 {
		r.Method = RestoreFresh // nothing had changed the files: a fresh sandbox is that state
	}
	return r
}

// replayCall runs one recorded call again; ran is false for calls that
// are skipped (they change no files) or cannot be replayed (u says why).
func (s *Session) replayCall(ctx context.Context, seq int64, a *Action, o *Observation) (u *Unrestored, ran bool) {
	switch a.Tool {
	case ToolFinish, ToolTaskTracker:
		return nil, false
	case ToolFileEditor:
		var args struct {
			Command string `json:"command"`
		}
		if json.Unmarshal(a.Args, &args) == nil && args.Command == "view" {
			return nil, false
		}
	case ToolTerminal:
	default:
		return &Unrestored{Event: seq, Tool: a.Tool, Reason: "only terminal and file_editor calls are replayed: what this tool did to the files is unknown"}, false
	}
	tool, ok := s.tools[a.Tool]
	if !ok {
		return &Unrestored{Event: seq, Tool: a.Tool, Reason: "the branch has no such tool to replay it with"}, false
	}
	res, err := safeRun(ctx, tool, ToolCall{ID: a.ToolCallID, Args: a.Args, Sandbox: s.sb, Stdout: io.Discard, Stderr: io.Discard, Cwd: s.shellCwd()})
	isErr := err != nil || res.IsError
	switch {
	case ctx.Err() != nil:
		return &Unrestored{Event: seq, Tool: a.Tool, Reason: "replay cancelled"}, true
	case o.Interrupted || o.TimedOut:
		return &Unrestored{Event: seq, Tool: a.Tool, Reason: "it was interrupted when recorded but ran to its end on replay"}, true
	case exitOf(res.ExitCode) != exitOf(o.ExitCode):
		return &Unrestored{Event: seq, Tool: a.Tool, Reason: fmt.Sprintf("exit code %s when recorded, %s on replay", exitOf(o.ExitCode), exitOf(res.ExitCode))}, true
	case isErr != o.IsError:
		return &Unrestored{Event: seq, Tool: a.Tool, Reason: fmt.Sprintf("failed=%v when recorded, failed=%v on replay", o.IsError, isErr)}, true
	}
	return nil, true
}

func exitOf(c *int) string {
	if c == nil {
		return "none"
	}
	return fmt.Sprint(*c)
}
