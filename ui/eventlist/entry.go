package eventlist

import (
	"fmt"
	"path"
	"strings"

	"github.com/tether-dev/tether/session"
)

type entryKind uint8

const (
	kindUser entryKind = iota
	kindAssistant
	kindTool
	kindError
	kindState
	kindUsage
	kindSandbox
	kindNote      // a one-line note, e.g. project instructions loaded
	kindReasoning // the model's reasoning: dim, one line once done, expandable
)

// entry is one item of the list: a message, a tool call with everything
// that belongs to it (arguments, output, result), or a one-line note.
type entry struct {
	kind entryKind
	// seq is the event a fork there starts from: a prompt's, a tool
	// call's action; obsSeq is the tool call's observation.
	seq, obsSeq int64

	text  strings.Builder // user/assistant/error/note text, raw (sanitized at render)
	fatal bool

	act       *session.Action
	obs       *session.Observation
	out       *outStore
	diff      []string             // sanitized diff lines
	restore   *session.Restore     // a note on how a branch's workspace was put back
	sbx       *session.SandboxInfo // a sandbox note: what is known so far
	sbxStates []string             // and its successive states
	pending   bool                 // awaiting approval
	queued    bool                 // announced with its reply, not started yet
	done      bool                 // the entry will not change any more (its render is frozen)
	expanded  bool
	mds       *mdStream // an open reply's finished blocks, rendered

	// version counts changes; a render is reused while version, width and
	// the expanded flag are what it was made with.
	version uint32
	cache   renderCache
}

type renderCache struct {
	ok       bool
	width    int
	version  uint32
	expanded bool
	gen      uint32
	lines    []string
	slot     int // index in Model.lru
	// approx: lines are a finished reply re-flowed during a drag (see
	// resize_lazy.go), to be rendered properly once the size settles.
	approx bool
	md     mdKept // a finished reply's markdown rows, kept for re-flowing
}

func (e *entry) changed() { e.version++ }

// Append adds one session event. It is amortized O(1) (O(len) of the data
// it carries) and never renders: rendering happens in View, for what is
// visible.
func (m *Model) Append(ev session.Event) {
	switch ev.Kind {
	case session.KindUserMessage:
		if ev.Message != nil {
			m.closeAssistant()
			e := m.push(kindUser)
			e.seq = ev.Seq
			e.text.WriteString(ev.Message.Text)
			e.done = true
		}
	case session.KindReasoningDelta, session.KindReasoning:
		if ev.Message != nil {
			m.onReasoning(ev)
		}
	case session.KindRetry:
		if ev.Retry != nil {
			m.onRetry(ev.Retry)
		}
	case session.KindAssistantDelta:
		if ev.Message != nil {
			m.closeReasoning()
			e := m.openAssistant
			if e == nil {
				e = m.push(kindAssistant)
				m.openAssistant = e
			}
			e.text.WriteString(ev.Message.Text)
			e.changed()
		}
	case session.KindAssistantMessage:
		if ev.Message != nil {
			e := m.openAssistant
			if e == nil {
				if strings.TrimSpace(ev.Message.Text) == "" {
					return // a tool-call-only reply says nothing
				}
				e = m.push(kindAssistant)
			}
			e.text.Reset()
			e.text.WriteString(ev.Message.Text)
			e.done = true
			e.changed()
			m.openAssistant = nil
		}
	case session.KindQueued:
		if ev.Queued != nil {
			m.onQueued(ev)
		}
	case session.KindAction:
		if ev.Action != nil {
			m.onAction(ev)
		}
	case session.KindOutput:
		if ev.Output != nil && ev.Output.Data != "" {
			e := m.toolEntry(ev.Output.ToolCallID)
			if e.out == nil {
				e.out = m.newOut()
			}
			e.out.write(ev.Output.Stream, ev.Output.Data)
			if e.pending {
				m.clearPending(e)
			}
			e.changed()
		}
	case session.KindObservation:
		if ev.Observation != nil {
			m.onObservation(ev)
		}
	case session.KindError:
		if ev.Error != nil {
			m.closeAssistant()
			e := m.push(kindError)
			e.text.WriteString(ev.Error.Message)
			e.fatal = ev.Error.Fatal
			e.done = true
		}
	case session.KindState:
		if ev.State != nil {
			m.onState(ev)
		}
	case session.KindUsage:
		if ev.Usage != nil && m.opts.ShowUsage {
			e := m.push(kindUsage)
			e.text.WriteString(usageText(ev.Usage))
			e.done = true
		}
	case session.KindSandbox:
		if ev.Sandbox != nil {
			m.onSandbox(ev.Sandbox)
		}
	case session.KindModel:
		if c := ev.ModelChange; c != nil {
			e := m.push(kindNote)
			e.text.WriteString("model switched: " + c.From + " → " + c.To + " (from the next call on)")
			e.done = true
		}
	case session.KindWheel:
		if ev.Wheel != nil {
			m.closeAssistant()
			e := m.push(kindNote)
			e.text.WriteString("⎈ " + ev.Wheel.Summary())
			e.done = true
		}
	case session.KindWorkspace:
		if ev.Workspace != nil && ev.Workspace.Restored != nil {
			m.onRestore(ev.Workspace.Restored)
		}
	case session.KindContext:
		if ev.Context != nil {
			e := m.push(kindNote)
			e.text.WriteString(ContextText(ev.Context))
			e.done = true
		}
	}
}

// ContextText is how the stream and the sandbox pane name the project
// instructions the agent was given.
func ContextText(c *session.ContextInfo) string {
	s := fmt.Sprintf("project instructions: %s (%s) given to the agent", path.Base(c.Path), byteCount(c.Bytes))
	if c.Truncated {
		s += ", its start only"
	}
	return s
}

func byteCount(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (m *Model) push(k entryKind) *entry {
	if n := len(m.entries); n > 0 && m.entries[n-1].kind == kindSandbox {
		// Only the last entry may still take more states of its sandbox.
		m.entries[n-1].done = true
	}
	e := &entry{kind: k}
	e.cache.slot = -1
	m.entries = append(m.entries, e)
	if !m.follow {
		m.unseen++
	}
	return e
}

// closeAssistant ends a streamed reply whose final message never came
// (the run was cancelled mid-stream).
func (m *Model) closeAssistant() {
	m.closeReasoning()
	if m.openAssistant != nil {
		m.openAssistant.done = true
		m.openAssistant.changed()
		m.openAssistant = nil
	}
}

func (m *Model) onAction(ev session.Event) {
	m.closeAssistant()
	a := *ev.Action
	e := m.calls[a.ToolCallID]
	if e == nil || e.done {
		// A finished call's ID seen again is a new call: some servers
		// number tool calls per response ("call_0").
		e = m.push(kindTool)
		m.calls[a.ToolCallID] = e
	}
	// A second action for a running call is an edit of its arguments.
	e.act, e.seq, e.queued = &a, ev.Seq, false
	if a.NeedsApproval {
		if !e.pending {
			e.pending = true
			m.pending = append(m.pending, e)
		}
	} else if e.pending {
		m.clearPending(e)
	}
	e.changed()
}

// onQueued shows every call of one reply, in order, as pending before
// the first runs; each one's own action event then takes its entry over.
func (m *Model) onQueued(ev session.Event) {
	m.closeAssistant()
	for _, a := range ev.Queued.Actions {
		if e := m.calls[a.ToolCallID]; e != nil && !e.done {
			continue // already shown (a fork's pending call, say)
		}
		e := m.push(kindTool)
		m.calls[a.ToolCallID] = e
		e.act, e.seq, e.queued = &a, ev.Seq, true
	}
}

// toolEntry finds the entry of a tool call, making one when output or a
// result arrives for a call the list never saw start.
func (m *Model) toolEntry(id string) *entry {
	if e := m.calls[id]; e != nil {
		return e
	}
	m.closeAssistant()
	e := m.push(kindTool)
	m.calls[id] = e
	return e
}

func (m *Model) onObservation(ev session.Event) {
	o := *ev.Observation
	e := m.toolEntry(o.ToolCallID)
	e.obs, e.obsSeq, e.queued = &o, ev.Seq, false
	if e.pending {
		m.clearPending(e)
	}
	if o.Diff != "" {
		e.diff = splitSanitized(o.Diff)
	}
	if e.out == nil && o.Diff == "" && !o.Rejected {
		// Tools that do not stream (file views, plans): their result is
		// what there is to show.
		if body := resultBody(e, &o); body != "" {
			e.out = m.newOut()
			e.out.write("stdout", body)
		}
	}
	if e.out != nil {
		e.out.finish()
		if toolOf(e, &o) == "file_editor" && o.Diff == "" && !o.IsError {
			highlightFileView(e.out, o.Content)
		}
	}
	e.done = true
	e.changed()
}

// toolOf is the name of the tool an entry called.
func toolOf(e *entry, o *session.Observation) string {
	if e.act != nil {
		return e.act.Tool
	}
	return o.Tool
}

func (m *Model) onState(ev session.Event) {
	s := ev.State
	if s.From == session.StateWaiting && s.To != session.StateWaiting {
		// Approved, rejected or edited: whatever waited runs (or ends) now.
		for _, e := range m.pending {
			e.pending = false
			e.changed()
		}
		m.pending = m.pending[:0]
	}
	if s.To.Terminal() {
		m.closeAssistant()
		// The run ended: calls that never got a result are over too, and
		// must not hold spill-file descriptors.
		for _, e := range m.calls {
			if e.done {
				continue
			}
			if e.out != nil {
				e.out.finish()
			}
			e.done = true
			e.changed()
		}
	}
	reason := s.Reason
	if n := len(m.entries); n > 0 && m.entries[n-1].kind == kindError && m.entries[n-1].text.String() == reason {
		reason = "" // the error just above says it already
	}
	line := stateLine(s.From, s.To)
	if line == "" {
		return // the tool call above shows the answer to its approval
	}
	e := m.push(kindState)
	// "waiting for approval: terminal" would repeat the state's name, and
	// "cancelled: cancelled by user" its word.
	switch r := strings.TrimPrefix(reason, "waiting for approval: "); {
	case r == "":
		e.text.WriteString(line)
	case strings.HasPrefix(r, line):
		e.text.WriteString(r)
	default:
		e.text.WriteString(line + ": " + r)
	}
	e.done = true
}

func (m *Model) clearPending(e *entry) {
	e.pending = false
	for i, p := range m.pending {
		if p == e {
			m.pending = append(m.pending[:i], m.pending[i+1:]...)
			break
		}
	}
	e.changed()
}

func (m *Model) newOut() *outStore {
	o := newOutStore(m.maxRAM, m.opts.SpillDir, m.log)
	if m.closed {
		o.spillErr = errClosed
	}
	return o
}
