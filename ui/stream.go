package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/eventlist"
)

// stream is what the shell needs of the event stream component
// (*eventlist.Model satisfies it). Keeping it small lets replay rebuild the
// stream from scratch by making a new one.
type stream interface {
	Append(ev session.Event)
	SetSize(width, height int)
	Update(msg tea.Msg) tea.Cmd
	View() string
	Focus()
	Blur()
	Focused() bool
	Following() bool
	Unseen() int // entries added while scrolled back
	CapturingInput() bool
	InFullView() bool
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	Close() error
	Selection() (eventlist.Selection, bool) // the fork point the selection names
}

// newStream makes the event list for these options.
func newStream(o Options, light bool) stream {
	return eventlist.New(eventlist.Options{
		NoColor:      o.NoColor,
		Light:        light,
		SpillDir:     o.SpillDir,
		MaxOutputRAM: o.MaxOutputRAM,
		SpaceTaken:   o.Replay,
		// Frames that must not depend on timing (tests, NoAnimation) render
		// every width exactly.
		LazyResize: !o.NoAnimation,
	})
}
