package uitest

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// RunCmd runs cmd and the commands it batches, returning the messages that
// arrive within wait (commands that block longer are abandoned).
func RunCmd(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(wait):
		return nil
	}
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, RunCmd(c, wait)...)
		}
		return out
	}
	return []tea.Msg{msg}
}
