package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/ui/eventlist"
)

// Copying: the event stream's copy key sends eventlist.CopyMsg; the shell
// writes the text to the terminal's clipboard with OSC 52 (tether writes
// the sequence itself, from text the list sanitized, base64-encoded) and,
// where Options.NativeClipboard is set, to the system clipboard too, for
// terminals that ignore OSC 52.

type nativeCopyDone struct{ err error }

func (a *model) onCopy(msg eventlist.CopyMsg) tea.Cmd {
	what := msg.What
	lines := "1 line"
	if msg.Lines != 1 {
		lines = fmt.Sprintf("%d lines", msg.Lines)
	}
	a.setNotice(fmt.Sprintf("copied %s, %s, to the clipboard", what, lines), false)
	cmds := []tea.Cmd{tea.SetClipboard(msg.Text)}
	if native := a.opts.NativeClipboard; native != nil {
		text := msg.Text
		cmds = append(cmds, func() tea.Msg { return nativeCopyDone{native(text)} })
	}
	return tea.Batch(cmds...)
}

// toggleMouse switches between the wheel scrolling the stream (tether
// captures the mouse) and the terminal's own drag-selection.
func (a *model) toggleMouse() {
	a.mouseOff = !a.mouseOff
	if a.mouseOff {
		a.setNotice("mouse released: drag selects text; ctrl+g gives the wheel back to the stream", false)
	} else {
		a.setNotice("mouse captured: the wheel scrolls the stream; ctrl+g to select text", false)
	}
}
