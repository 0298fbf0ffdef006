package fleet

import (
	"reflect"

	tea "charm.land/bubbletea/v2"
)

// Each session's screen is a ui.Model with its own commands: reading its
// engine's events, ticking its clock and spinner, shutting its engine down.
// Their messages must come back to that Model and no other, so every
// command a session returns is wrapped to tag its message with the
// session's id. Messages of Bubble Tea's own types are the program's
// business (asking for the background colour, setting the title…) and pass
// through untouched, except batches and sequences, whose commands are
// tagged in turn, and tea.QuitMsg, which only means that session is done.

// childMsg is a message for session id.
type childMsg struct {
	id  int
	msg tea.Msg
}

// childQuitMsg: session id's screen asked to quit (its teardown finished).
type childQuitMsg struct{ id int }

var (
	teaPkg  = reflect.TypeFor[tea.QuitMsg]().PkgPath()
	cmdType = reflect.TypeFor[tea.Cmd]()
)

// tag wraps cmd so that its message comes back as a childMsg for id.
func tag(id int, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg { return tagMsg(id, cmd()) }
}

func tagMsg(id int, msg tea.Msg) tea.Msg {
	switch msg.(type) {
	case nil:
		return nil
	case tea.QuitMsg:
		return childQuitMsg{id}
	}
	t := reflect.TypeOf(msg)
	if t.PkgPath() != teaPkg {
		return childMsg{id, msg}
	}
	// tea.BatchMsg and tea's unexported sequence: rebuild the same type
	// with every command tagged, so the program still runs them its way.
	if t.Kind() == reflect.Slice && t.Elem() == cmdType {
		in := reflect.ValueOf(msg)
		out := reflect.MakeSlice(t, in.Len(), in.Len())
		for i := range in.Len() {
			c, _ := in.Index(i).Interface().(tea.Cmd)
			out.Index(i).Set(reflect.ValueOf(tag(id, c)))
		}
		return out.Interface()
	}
	return msg
}
