package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// ErrRunEnded is returned by Continue when the recorded run had ended:
// send a prompt (Send) to go on.
var ErrRunEnded = errors.New("the recorded run had ended: send a new prompt to continue it")

// interruptedNote answers a tool call that was running when the recorded
// session was cut short.
const interruptedNote = "tether stopped while this tool call ran (the session was killed or crashed): it may have run partly or not at all. Check its effects before relying on them."

// Fork starts a session on sb that continues the recording at path from
// its event at (0 = the end), with edit applied there: the model is sent
// the conversation up to that event, and tool calls of that step still to
// run run in sb, once sb's files are put back as they were at that event
// (from the recording's workspace snapshots, else by replaying its file
// edits and commands; Result.Workspace says how and what could not be).
// The new recording (opts.RecordPath) names
// the parent and the fork point and holds the replayed history, so it can
// be resumed, forked and exported in turn. Start the branch with Continue
// or Send.
func Fork(ctx context.Context, sb sandbox.Sandbox, path string, at int64, edit Edit, opts Options) (*Session, error) {
	hdr, evs, err := ReadRecordingFile(path)
	if err != nil {
		return nil, fmt.Errorf("fork %s: %w", path, err)
	}
	cp, err := Rebuild(evs, at, edit)
	if err != nil {
		return nil, fmt.Errorf("fork %s: %w", path, err)
	}
	s, err := spawnFrom(ctx, sb, opts, cp, parentOf(path, hdr))
	if err != nil {
		return nil, err
	}
	s.startRestore(ctx, hdr, evs, at)
	return s, nil
}

// Resume is Fork at the recording's end without an edit: it continues a
// session where it stopped, also one cut short (kill -9, a crash), whose
// interrupted tool calls are answered with a note saying so. Continue
// goes on with an unfinished run; Send adds a prompt.
func Resume(ctx context.Context, sb sandbox.Sandbox, path string, opts Options) (*Session, error) {
	hdr, evs, err := ReadRecordingFile(path)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	cp, err := Rebuild(evs, 0, Edit{})
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	s, err := spawnFrom(ctx, sb, opts, cp, parentOf(path, hdr))
	if err != nil {
		return nil, err
	}
	s.startRestore(ctx, hdr, evs, 0)
	s.mu.Lock()
	for _, c := range s.pendingCalls {
		s.conv = append(s.conv, llm.Message{Role: llm.RoleTool, ToolCallID: c.ID, Name: c.Name, Content: interruptedNote})
		s.publish(Event{Kind: KindObservation, Observation: &Observation{ToolCallID: c.ID, Tool: c.Name, Content: interruptedNote, IsError: true}})
	}
	s.pendingCalls = nil
	s.mu.Unlock()
	return s, nil
}

// Resumable reports whether a recording can be resumed: it has events and
// a header this tether reads.
func Resumable(path string) bool {
	_, evs, err := ReadRecordingFile(path)
	return err == nil && len(evs) > 0
}

// ResumeState says how a recording can be resumed: "interrupted" when its
// run was cut short (Continue goes on with it), "resumable" when it ended
// (a new prompt continues it), "" when it cannot be read or is empty.
func ResumeState(path string) string {
	_, evs, err := ReadRecordingFile(path)
	if err != nil || len(evs) == 0 {
		return ""
	}
	cp, err := Rebuild(evs, 0, Edit{})
	switch {
	case err != nil:
		return ""
	case len(cp.Pending) > 0 || (!cp.Ended && len(cp.Conv) > 0):
		return "interrupted"
	}
	return "resumable"
}

type parent struct {
	path, conv string
	at         int64
	damaged    string // SkippedNotice of the parent's damaged lines
}

func parentOf(path string, hdr RecordHeader) parent {
	damaged := SkippedNotice(path, hdr.Skipped)
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return parent{path: path, conv: hdr.ConversationID, damaged: damaged}
}

// spawnFrom is Spawn on a rebuilt conversation.
func spawnFrom(ctx context.Context, sb sandbox.Sandbox, opts Options, cp Checkpoint, p parent) (*Session, error) {
	p.at = cp.At
	opts.parent = &p
	switchErr := recordedModel(&opts, cp)
	s, err := Spawn(ctx, sb, opts)
	if err != nil {
		return nil, err
	}
	pending := map[string]bool{}
	for _, c := range cp.Pending {
		pending[c.ID] = true
	}
	for _, ev := range cp.Events {
		if ev.Kind == KindAction && ev.Action != nil && pending[ev.Action.ToolCallID] || ev.Kind == KindQueued {
			continue // published again when it runs
		}
		ev.ID, ev.Seq = "", 0
		s.publish(ev)
	}
	if p.damaged != "" { // after the history, where the user looks
		s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: p.damaged}})
	}
	s.announceModel(cp, switchErr)
	s.mu.Lock()
	s.conv = append(s.conv, cp.Conv...)
	s.notes = append(s.notes, cp.Notes...)
	s.totals = cp.totals
	s.pendingCalls = cp.Pending
	s.ended = cp.Ended
	s.result.PromptTokens, s.result.CompletionTokens = cp.totals.prompt, cp.totals.completion
	s.result.CostUSD = cp.totals.cost
	s.mu.Unlock()
	return s, nil
}

// Continue goes on with a forked or resumed run from where it stands:
// tool calls still to run run, then the model is called. It returns
// ErrRunEnded when the recorded run had ended (Send a prompt instead),
// and starts nothing when a run is active.
func (s *Session) Continue() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.model == nil:
		return ErrNoModel
	case s.active:
		return errors.New("a run is already active: wait for it or cancel it")
	case len(s.pendingCalls) == 0 && (s.ended || len(s.conv) <= 1):
		return ErrRunEnded
	}
	pending := s.pendingCalls
	s.pendingCalls, s.ended = nil, false
	s.startLocked(runItem{pending: pending})
	return nil
}

// CanContinue reports whether Continue has something to go on with.
func (s *Session) CanContinue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && (len(s.pendingCalls) > 0 || (!s.ended && len(s.conv) > 1))
}
