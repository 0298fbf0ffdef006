package session

import (
	"slices"

	"github.com/tether-dev/tether/internal/redact"
)

// redactor replaces configured secrets, and any long fragment of one, in
// every text an event carries (internal/redact holds the rule).
type redactor struct{ set *redact.Set }

func newRedactor(secrets []string) *redactor { return &redactor{set: redact.New(secrets...)} }

func (r *redactor) text(s string) string {
	if r == nil {
		return s
	}
	return r.set.Text(s)
}

// stream redacts one stream of chunks (tool output, streamed text),
// catching a secret split across chunks.
func (r *redactor) stream() *redact.Stream {
	if r == nil {
		return (*redact.Set)(nil).Stream()
	}
	return r.set.Stream()
}

// action is a copy of a with its text redacted.
func (r *redactor) action(a Action) Action {
	if len(a.Args) > 0 {
		a.Args = []byte(r.text(string(a.Args)))
	}
	a.Tool, a.Command, a.Summary = r.text(a.Tool), r.text(a.Command), r.text(a.Summary)
	return a
}

func (r *redactor) event(ev *Event) {
	if r == nil || r.set.Empty() {
		return
	}
	if ev.Kind == KindOutput || ev.Kind == KindAssistantDelta || ev.Kind == KindReasoningDelta {
		// Chunks come redacted by their stream (which also catches a
		// secret split between two chunks): a second pass would only cost.
		return
	}
	if m := ev.Message; m != nil {
		ev.Message = &Message{Text: r.text(m.Text)}
	}
	if a := ev.Action; a != nil {
		c := r.action(*a)
		ev.Action = &c
	}
	if q := ev.Queued; q != nil {
		c := Queued{Actions: make([]Action, len(q.Actions))}
		for i, a := range q.Actions {
			c.Actions[i] = r.action(a)
		}
		ev.Queued = &c
	}
	if o := ev.Output; o != nil {
		c := *o
		c.Data = r.text(o.Data)
		ev.Output = &c
	}
	if o := ev.Observation; o != nil {
		c := *o
		c.Content, c.Diff, c.Output, c.Cwd = r.text(o.Content), r.text(o.Diff), r.text(o.Output), r.text(o.Cwd)
		ev.Observation = &c
	}
	if e := ev.Error; e != nil {
		ev.Error = &ErrorInfo{Message: r.text(e.Message), Fatal: e.Fatal}
	}
	if rt := ev.Retry; rt != nil {
		c := *rt
		c.Reason = r.text(rt.Reason)
		ev.Retry = &c
	}
	if w := ev.Wheel; w != nil {
		ev.Wheel = r.wheel(*w)
	}
	if st := ev.State; st != nil {
		c := *st
		c.Reason = r.text(st.Reason)
		ev.State = &c
	}
}

func (r *redactor) wheel(w WheelInfo) *WheelInfo {
	w.Commands = slices.Clone(w.Commands)
	for i := range w.Commands {
		w.Commands[i].Command = r.text(w.Commands[i].Command)
	}
	w.Files = slices.Clone(w.Files)
	for i := range w.Files {
		w.Files[i].Path = r.text(w.Files[i].Path)
	}
	w.Note, w.CommandsUnknown, w.FilesUnknown = r.text(w.Note), r.text(w.CommandsUnknown), r.text(w.FilesUnknown)
	return &w
}
