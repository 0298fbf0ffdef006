package eventlist

import "github.com/tether-dev/tether/session"

// Selection is the selected entry as a point to fork a session at.
type Selection struct {
	// Seq is the prompt's event, or the tool call's action; ResultSeq the
	// tool call's observation (0 until it has one).
	Seq, ResultSeq int64
	Prompt         string               // a prompt's text
	Action         *session.Action      // a tool call
	Observation    *session.Observation // its result, once there is one
}

// Selection returns the selected prompt or tool call (the nearest one at
// or above the selection), false when there is none to fork at.
func (m *Model) Selection() (Selection, bool) {
	for i := m.selected(); i >= 0; i-- {
		e := m.visEntry(i)
		switch {
		case e.kind == kindUser && e.seq > 0:
			return Selection{Seq: e.seq, Prompt: e.text.String()}, true
		case e.kind == kindTool && e.act != nil && !e.act.Direct && e.seq > 0:
			return Selection{Seq: e.seq, ResultSeq: e.obsSeq, Action: e.act, Observation: e.obs}, true
		}
	}
	return Selection{}, false
}
