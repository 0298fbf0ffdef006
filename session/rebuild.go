package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tether-dev/tether/llm"
)

// Edit changes a recorded session at its fork point. Which field applies
// depends on the kind of the event forked at; a field that does not fit
// that event is an error, so an edit is never silently dropped.
type Edit struct {
	// Prompt replaces the text of a user_message.
	Prompt string
	// Tool and Args replace the tool call of an action ("" / nil keep
	// the recorded ones). The call then runs in the branch.
	Tool string
	Args json.RawMessage
	// Observation replaces what the model is told a tool call returned.
	Observation *string
}

// IsZero reports whether the edit changes nothing.
func (e Edit) IsZero() bool {
	return e.Prompt == "" && e.Tool == "" && len(e.Args) == 0 && e.Observation == nil
}

// Checkpoint is a recorded session rebuilt up to one event: what the model
// had been sent (after the system prompt), the tool calls still to run,
// and the totals so far.
type Checkpoint struct {
	// At is the event the checkpoint was taken after (0 = the end).
	At int64
	// Conv is the conversation after the system prompt.
	Conv []llm.Message
	// Pending are tool calls of the last assistant message still to run:
	// a fork at an action runs it (edited) before the model is called.
	Pending []llm.ToolCall
	// Notes are commands the user ran that the next prompt tells the
	// model about.
	Notes []string
	// Ended is true when the recorded run had ended by then (a final
	// answer, a terminal state): continuing needs a new prompt.
	Ended bool
	// Events are the recorded events up to the checkpoint, with the edit
	// applied, for the branch's own recording and view.
	Events []Event
	// Model is the model the recording had switched to by then (its last
	// model event; "" = none): a branch goes on with it.
	Model string

	totals totals
}

// ErrNoSuchEvent is returned when a fork names an event the recording
// does not have.
var ErrNoSuchEvent = errors.New("no such event in the recording")

// Rebuild replays recorded events up to and including event at (0 = all),
// applying edit to that event. Tool calls of an assistant message that
// were recorded after at are dropped (the branch decides anew); a call
// recorded without its observation is pending.
func Rebuild(evs []Event, at int64, edit Edit) (Checkpoint, error) {
	var cp Checkpoint
	if at < 0 {
		return cp, fmt.Errorf("event %d: %w (events are numbered from 1)", at, ErrNoSuchEvent)
	}
	var target *Event
	if at > 0 {
		for i := range evs {
			if evs[i].Seq == at {
				target = &evs[i]
				break
			}
		}
		if target == nil {
			return cp, fmt.Errorf("event %d: %w (it has %d events)", at, ErrNoSuchEvent, lastSeq(evs))
		}
		if err := checkEdit(target, edit); err != nil {
			return cp, err
		}
	}
	cp.At = at
	r := rebuilder{cp: &cp}
	for i := range evs {
		ev := evs[i]
		if at > 0 && ev.Seq > at {
			break
		}
		if at > 0 && ev.Seq == at {
			ev = applyEdit(ev, edit)
		}
		r.event(ev)
		if ev.Kind != KindSandbox && ev.Kind != KindState && ev.Kind != KindTools { // the branch publishes its own
			cp.Events = append(cp.Events, ev)
		}
	}
	r.finish()
	return cp, nil
}

func lastSeq(evs []Event) int64 {
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

func checkEdit(ev *Event, e Edit) error {
	bad := func(what string) error {
		return fmt.Errorf("event %d is a %s: %s cannot be edited there (fork at a %s)", ev.Seq, ev.Kind, what, map[string]Kind{
			"the prompt": KindUserMessage, "the tool call": KindAction, "the observation": KindObservation,
		}[what])
	}
	switch {
	case e.Prompt != "" && ev.Kind != KindUserMessage:
		return bad("the prompt")
	case (e.Tool != "" || len(e.Args) > 0) && (ev.Kind != KindAction || ev.Action == nil || ev.Action.Direct):
		return bad("the tool call")
	case e.Observation != nil && ev.Kind != KindObservation:
		return bad("the observation")
	case len(e.Args) > 0 && !json.Valid(e.Args):
		return fmt.Errorf("the edited arguments are not valid JSON: give a JSON object such as {\"command\": \"ls\"}")
	}
	return nil
}

func applyEdit(ev Event, e Edit) Event {
	switch {
	case e.Prompt != "" && ev.Message != nil:
		m := *ev.Message
		m.Text = e.Prompt
		ev.Message = &m
	case ev.Action != nil && (e.Tool != "" || len(e.Args) > 0):
		a := *ev.Action
		if e.Tool != "" {
			a.Tool = e.Tool
		}
		if len(e.Args) > 0 {
			a.Args = slices.Clone(e.Args)
		}
		a.Command, a.Summary, a.NeedsApproval = "", "", false
		ev.Action = &a
	case e.Observation != nil && ev.Observation != nil:
		o := *ev.Observation
		o.Content, o.Output, o.Diff, o.IsError = *e.Observation, "", "", false
		ev.Observation = &o
	}
	return ev
}

// rebuilder turns events back into the messages the session appended.
type rebuilder struct {
	cp       *Checkpoint
	asst     int             // index in Conv of the open assistant message, -1 none
	answered map[string]bool // tool call ids of asst with a tool message
	// fresh is set while asst was opened by the reply now ending: its
	// usage event comes before its tool calls. Usage of a reply without
	// text closes the previous message, so its calls open their own.
	fresh  bool
	direct map[string]string
	// runNotes are wheel notes handed back during the run: the session
	// gave them to the model before its next call.
	runNotes []string
}

// flushRunNotes adds the wheel notes given before a model call.
func (r *rebuilder) flushRunNotes() {
	if len(r.runNotes) == 0 {
		return
	}
	r.close()
	r.cp.Conv = append(r.cp.Conv, llm.Message{Role: llm.RoleUser, Content: strings.Join(r.runNotes, "\n\n")})
	r.runNotes = nil
}

func (r *rebuilder) event(ev Event) {
	cp := r.cp
	switch ev.Kind {
	case KindUserMessage:
		if ev.Message == nil {
			return
		}
		r.close()
		text := ev.Message.Text
		if len(cp.Notes) > 0 {
			text = strings.Join(cp.Notes, "\n\n") + "\n\n" + text
			cp.Notes = nil
		}
		cp.Conv = append(cp.Conv, llm.Message{Role: llm.RoleUser, Content: text})
		cp.Ended = false
	case KindAssistantMessage:
		if ev.Message == nil {
			return
		}
		r.flushRunNotes()
		r.close()
		cp.Conv = append(cp.Conv, llm.Message{Role: llm.RoleAssistant, Content: ev.Message.Text})
		r.open(len(cp.Conv) - 1)
		r.fresh = true
	case KindUsage:
		if ev.Usage == nil {
			return
		}
		if !r.fresh {
			r.flushRunNotes()
			r.close()
		}
		r.fresh = false
		u := ev.Usage
		cp.totals.calls++
		cp.totals.prompt, cp.totals.completion = u.TotalPromptTokens, u.TotalCompletionTokens
		if u.CostKnown {
			cp.totals.knownCalls++
		}
		cp.totals.cost = u.TotalCostUSD
	case KindAction:
		r.action(ev.Action)
	case KindObservation:
		r.observation(ev.Observation)
	case KindState:
		if ev.State != nil && ev.State.To.Terminal() {
			cp.Ended = true
			cp.Notes, r.runNotes = append(cp.Notes, r.runNotes...), nil
		}
	case KindWheel:
		if w := ev.Wheel; w != nil && w.Note != "" {
			if w.InRun {
				r.runNotes = append(r.runNotes, w.Note)
			} else {
				cp.Notes = append(cp.Notes, w.Note)
			}
		}
	case KindModel:
		if ev.ModelChange != nil {
			cp.Model = ev.ModelChange.To
		}
	}
}

func (r *rebuilder) open(i int) {
	r.asst, r.answered = i, map[string]bool{}
}

// close ends the open assistant message: an assistant message without
// tool calls is a final answer.
func (r *rebuilder) close() {
	r.asst, r.answered = -1, nil
}

func (r *rebuilder) action(a *Action) {
	if a == nil {
		return
	}
	cp := r.cp
	if a.Direct {
		if r.direct == nil {
			r.direct = map[string]string{}
		}
		r.direct[a.ToolCallID] = a.Command
		return
	}
	call := llm.ToolCall{ID: a.ToolCallID, Name: a.Tool, Arguments: rawArgs(a.Args)}
	if r.answered == nil {
		// Calls come after the assistant's text, in the same message; a
		// message without text has no event of its own.
		cp.Conv = append(cp.Conv, llm.Message{Role: llm.RoleAssistant})
		r.open(len(cp.Conv) - 1)
	}
	m := &cp.Conv[r.asst]
	for j := range m.ToolCalls {
		if m.ToolCalls[j].ID == call.ID { // approved with an edit: the second action wins
			m.ToolCalls[j] = call
			return
		}
	}
	m.ToolCalls = append(m.ToolCalls, call)
}

func (r *rebuilder) observation(o *Observation) {
	if o == nil {
		return
	}
	cp := r.cp
	if cmd, ok := r.direct[o.ToolCallID]; ok {
		delete(r.direct, o.ToolCallID)
		cp.Notes = append(cp.Notes, shellNote(cmd, *o))
		return
	}
	if r.answered == nil || r.answered[o.ToolCallID] || !r.called(o.ToolCallID) {
		return // a queued call that never started has no call here
	}
	r.answered[o.ToolCallID] = true
	cp.Conv = append(cp.Conv, llm.Message{Role: llm.RoleTool, ToolCallID: o.ToolCallID, Name: o.Tool, Content: o.Content})
}

// called reports whether the open assistant message has a call id.
func (r *rebuilder) called(id string) bool {
	for _, c := range r.cp.Conv[r.asst].ToolCalls {
		if c.ID == id {
			return true
		}
	}
	return false
}

// finish works out what is pending: calls of the open assistant message
// without an observation. A final answer (no calls) ends the run.
func (r *rebuilder) finish() {
	cp := r.cp
	// A wheel note the recorded run had not given the model yet goes
	// with the branch's next prompt.
	cp.Notes, r.runNotes = append(cp.Notes, r.runNotes...), nil
	if r.answered == nil {
		if n := len(cp.Conv); n > 0 && cp.Conv[n-1].Role == llm.RoleAssistant && len(cp.Conv[n-1].ToolCalls) == 0 {
			cp.Ended = true
		}
		return
	}
	m := cp.Conv[r.asst]
	if len(m.ToolCalls) == 0 {
		cp.Ended = true
		return
	}
	for _, c := range m.ToolCalls {
		if !r.answered[c.ID] {
			cp.Pending = append(cp.Pending, c)
		}
	}
}

// rawArgs turns recorded arguments back into the text the model sent:
// invalid JSON was recorded as a JSON string of the raw text.
func rawArgs(args json.RawMessage) string {
	var s string
	if len(args) > 0 && args[0] == '"' && json.Unmarshal(args, &s) == nil {
		return s
	}
	return string(args)
}
