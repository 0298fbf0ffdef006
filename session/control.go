package session

import (
	"context"
	"encoding/json"
	"fmt"
)

type decisionKind int

const (
	decisionApprove decisionKind = iota
	decisionReject
	decisionEdit
)

// decision is the user's answer to an action awaiting approval.
type decision struct {
	kind   decisionKind
	reason string
	args   json.RawMessage
}

// Cancel stops the current run: the LLM stream and any running command
// (with its process tree) are stopped and the state becomes cancelled.
// Queued prompts are dropped; a user Shell command is stopped too. The
// conversation stays valid, so a new prompt continues it.
func (s *Session) Cancel() { s.cancelWith("cancelled by user") }

// cancelWith is Cancel with the reason the cancelled state will carry.
func (s *Session) cancelWith(reason string) {
	s.mu.Lock()
	s.queue = nil
	if s.active && s.runCancel != nil {
		if s.cancelReason == "" {
			s.cancelReason = reason
		}
		s.runCancel()
	}
	for _, c := range s.shells {
		c()
	}
	for _, t := range s.tools {
		if i, ok := t.(Interrupter); ok {
			i.Interrupt()
		}
	}
	s.mu.Unlock()
	s.wake()
}

// Pause stops the run at the next step boundary (after the LLM call,
// between tools) with state paused, until Resume or Cancel.
func (s *Session) Pause() {
	s.mu.Lock()
	if s.active {
		s.pauseReq = true
	}
	s.mu.Unlock()
	s.wake()
}

// Resume continues a paused run (or withdraws a pause not yet reached).
func (s *Session) Resume() {
	s.mu.Lock()
	s.pauseReq, s.pauseWhy = false, ""
	s.mu.Unlock()
	s.wake()
}

// SetStepMode switches step mode, also in the middle of a run. Turning it
// off approves the action waiting for approval, if any.
func (s *Session) SetStepMode(on bool) {
	s.mu.Lock()
	s.stepMode = on
	s.mu.Unlock()
	s.wake()
}

// StepMode reports whether actions wait for approval.
func (s *Session) StepMode() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stepMode
}

// Approve runs the action awaiting approval.
func (s *Session) Approve() { s.decide(decision{kind: decisionApprove}) }

// ApproveAll approves the pending action, turns step mode off and stops
// asking by Options.Confirm policy for the rest of the session.
func (s *Session) ApproveAll() {
	s.mu.Lock()
	s.stepMode, s.approveAll = false, true
	s.mu.Unlock()
	s.decide(decision{kind: decisionApprove})
}

// Reject skips the pending action; the model is sent a rejection
// observation with the reason and carries on.
func (s *Session) Reject(reason string) { s.decide(decision{kind: decisionReject, reason: reason}) }

// Edit replaces the pending action's arguments and runs it. Arguments that
// are not valid JSON are refused with a (non-fatal) KindError event and
// the action keeps waiting.
func (s *Session) Edit(args json.RawMessage) {
	if !json.Valid(args) {
		s.mu.Lock()
		waiting := s.pending != nil
		s.mu.Unlock()
		if waiting {
			s.publish(Event{Kind: KindError, Error: &ErrorInfo{
				Message: fmt.Sprintf("edited arguments are not valid JSON (%s); the action still awaits approval", jsonError(string(args))),
			}})
		}
		return
	}
	s.decide(decision{kind: decisionEdit, args: append(json.RawMessage(nil), args...)})
}

func (s *Session) decide(d decision) {
	s.mu.Lock()
	if s.pending != nil && s.decision == nil {
		s.decision = &d
	}
	s.mu.Unlock()
	s.wake()
}

// Pending returns the action awaiting approval, or nil.
func (s *Session) Pending() *Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return nil
	}
	a := *s.pending
	return &a
}

// awaitDecision waits in state waiting_for_confirmation (set by runCall
// with the pending action) for the user's answer, or until step mode is
// turned off (approve) or the run is cancelled.
func (s *Session) awaitDecision(ctx context.Context) (decision, error) {
	defer func() {
		s.mu.Lock()
		s.pending, s.decision = nil, nil
		if ctx.Err() == nil {
			s.setStateLocked(StateRunning, "")
		}
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		d, step := s.decision, s.stepMode || s.policyAsks()
		s.mu.Unlock()
		if d != nil {
			return *d, nil
		}
		if !step {
			return decision{kind: decisionApprove}, nil
		}
		select {
		case <-ctx.Done():
			return decision{}, ctx.Err()
		case <-s.ctrl:
		}
	}
}

// boundary is a step boundary: it returns at once unless a pause was
// requested, in which case it waits (state paused) for Resume or cancel.
func (s *Session) boundary(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		if !s.pauseReq {
			if s.state == StatePaused {
				s.setStateLocked(StateRunning, "resumed")
			}
			s.mu.Unlock()
			return nil
		}
		why := "paused by user"
		if s.pauseWhy != "" {
			why = s.pauseWhy
		}
		s.setStateLocked(StatePaused, why)
		s.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-s.ctrl:
		}
	}
}
