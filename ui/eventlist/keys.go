package eventlist

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap is the list's keys. They avoid the shell's (ctrl+c, esc, ?, tab,
// enter in the prompt, y/n/e/a for approvals): the shell routes keys here
// only while the list has focus.
type KeyMap struct {
	LineUp, LineDown     key.Binding
	Prev, Next           key.Binding // move the selection
	PageUp, PageDown     key.Binding
	HalfUp, HalfDown     key.Binding
	Top, Follow          key.Binding
	Toggle, ToggleAll    key.Binding
	Open                 key.Binding
	Search               key.Binding
	NextMatch, PrevMatch key.Binding
	Filter               key.Binding
	Copy                 key.Binding

	// Full-output view.
	Close       key.Binding
	Left, Right key.Binding
}

// DefaultKeyMap returns the list's keys.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, h, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(h, desc))
	}
	return KeyMap{
		LineUp:    b([]string{"up"}, "↑", "scroll up"),
		LineDown:  b([]string{"down"}, "↓", "scroll down"),
		Prev:      b([]string{"k", "ctrl+p"}, "k", "previous entry"),
		Next:      b([]string{"j", "ctrl+n"}, "j", "next entry"),
		PageUp:    b([]string{"pgup", "b"}, "pgup", "page up"),
		PageDown:  b([]string{"pgdown"}, "pgdn", "page down"),
		HalfUp:    b([]string{"ctrl+u"}, "ctrl+u", "half page up"),
		HalfDown:  b([]string{"ctrl+d"}, "ctrl+d", "half page down"),
		Top:       b([]string{"g", "home"}, "g", "top"),
		Follow:    b([]string{"G", "end", "f"}, "G/f", "follow"),
		Toggle:    b([]string{"space", "o"}, "space", "expand output"),
		ToggleAll: b([]string{"O"}, "O", "expand all"),
		Open:      b([]string{"enter"}, "enter", "full output"),
		Search:    b([]string{"/"}, "/", "search"),
		NextMatch: b([]string{"n"}, "n/N", "next/prev match"),
		PrevMatch: b([]string{"N"}, "N", "previous match"),
		Filter:    b([]string{"ctrl+f"}, "ctrl+f", "only matches"),
		Copy:      b([]string{"c"}, "c", "copy to clipboard"),
		Close:     b([]string{"esc", "q"}, "esc", "close"),
		Left:      b([]string{"left", "h"}, "←/→", "scroll sideways"),
		Right:     b([]string{"right", "l"}, "→", "scroll right"),
	}
}

// ShortHelp is the list's main keys for bubbles/help.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.search.typing || (m.full != nil && m.full.search.typing) {
		// Every other key goes into the query while it is typed.
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "find")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	if m.full != nil {
		return []key.Binding{k.Close, k.PageDown, k.Top, k.Follow, k.Left, k.Search, k.NextMatch}
	}
	return []key.Binding{k.Next, k.Toggle, k.Open, k.Search, k.Follow}
}

// FullHelp is every key of the list, grouped.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	if m.full != nil {
		return [][]key.Binding{
			{k.Close, k.LineUp, k.LineDown, k.PageUp, k.PageDown},
			{k.Top, k.Follow, k.Left, k.Search, k.NextMatch, k.Copy},
		}
	}
	return [][]key.Binding{
		{k.Prev, k.Next, k.LineUp, k.LineDown, k.PageUp, k.PageDown, k.HalfUp, k.HalfDown},
		{k.Top, k.Follow, k.Toggle, k.ToggleAll, k.Open},
		{k.Search, k.NextMatch, k.Filter, k.Copy},
	}
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	h := max(m.bodyHeight(), 1)
	m.search.note = ""
	switch {
	case key.Matches(msg, k.LineUp):
		m.scrollUp(1)
	case key.Matches(msg, k.LineDown):
		m.scrollDown(1)
	case key.Matches(msg, k.Prev):
		m.moveSelection(-1)
	case key.Matches(msg, k.Next):
		m.moveSelection(1)
	case key.Matches(msg, k.PageUp):
		m.scrollUp(max(h-1, 1))
	case key.Matches(msg, k.PageDown):
		m.scrollDown(max(h-1, 1))
	case key.Matches(msg, k.HalfUp):
		m.scrollUp(max(h/2, 1))
	case key.Matches(msg, k.HalfDown):
		m.scrollDown(max(h/2, 1))
	case key.Matches(msg, k.Top):
		m.gotoTop()
	case key.Matches(msg, k.Follow):
		m.Follow()
	case key.Matches(msg, k.Toggle):
		if e, _ := m.selectedReasoning(); e != nil {
			e.expanded = !e.expanded
			e.changed()
		} else if e, i := m.selectedTool(); e != nil {
			e.expanded = !e.expanded
			if !m.follow {
				m.ensureVisible(i)
			}
		}
	case key.Matches(msg, k.ToggleAll):
		m.expandAll = !m.expandAll
		if !m.expandAll {
			for _, e := range m.entries {
				e.expanded = false
			}
		}
		m.top = m.clampAnchor(m.top)
	case key.Matches(msg, k.Open):
		if e, _ := m.selectedTool(); e != nil && e.out != nil {
			m.openFull(e)
		} else {
			m.search.note = "no tool output here (select a tool call with j/k)"
		}
	case key.Matches(msg, k.Search):
		return m.openSearch()
	case key.Matches(msg, k.NextMatch):
		m.jumpMatch(1)
	case key.Matches(msg, k.PrevMatch):
		m.jumpMatch(-1)
	case key.Matches(msg, k.Filter):
		m.toggleFilter()
	case key.Matches(msg, k.Copy):
		return m.copySelected()
	}
	return nil
}
