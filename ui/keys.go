package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
)

// keyMap lists every key the shell handles itself; the event stream brings
// its own. Help shows them all.
type keyMap struct {
	Send, Newline, History, Shell          key.Binding
	Focus, FocusBack, Review, Sandbox      key.Binding
	Step, Pause, Cancel, Interrupt, Quit   key.Binding
	Help, Model, Mouse, EditQueued         key.Binding
	Approve, Reject, Edit, ApproveAll, Run key.Binding
	Back                                   key.Binding
	Fork, ForkMode                         key.Binding
	Wheel                                  key.Binding
	Play, Speed, StepEv, Jump, ReplayQuit  key.Binding

	// Matched but not listed in help (another binding's help names them).
	HelpAnywhere, HelpClose, EOF      key.Binding
	ScrollUp, ScrollDown              key.Binding
	SpeedUp, SpeedDown                key.Binding
	StepBack, StepForward, Start, End key.Binding
	ConfirmYes, ConfirmNo             key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Send:       b([]string{"enter"}, "enter", "send"),
		Newline:    b([]string{"shift+enter", "alt+enter", "ctrl+j"}, "shift+enter", "newline (alt+enter, ctrl+j)"),
		History:    b([]string{"up", "down"}, "↑/↓", "history"),
		Shell:      b([]string{"!"}, "!cmd", "run a command yourself"),
		Focus:      b([]string{"tab"}, "tab", "focus"),
		FocusBack:  b([]string{"shift+tab"}, "shift+tab", "focus back"),
		Review:     b([]string{"ctrl+a"}, "ctrl+a", "review approval"),
		Sandbox:    b([]string{"ctrl+b"}, "ctrl+b", "sandbox pane"),
		Step:       b([]string{"ctrl+t"}, "ctrl+t", "step mode"),
		Pause:      b([]string{"ctrl+p"}, "ctrl+p", "pause/resume"),
		Cancel:     b([]string{"esc"}, "esc", "cancel run"),
		Interrupt:  b([]string{"ctrl+c"}, "ctrl+c", "cancel; twice when idle: quit"),
		Quit:       b([]string{"ctrl+q"}, "ctrl+q", "quit (ctrl+d: on an empty prompt)"),
		Help:       b([]string{"?", "f1"}, "?/f1", "help"),
		Model:      pickerKey(),
		Mouse:      b([]string{"ctrl+g"}, "ctrl+g", "mouse: wheel scrolls ⇄ drag selects text"),
		EditQueued: b([]string{"up"}, "↑", "on an empty box: take the last queued prompt back to edit"),

		Approve:    b([]string{"y", "Y"}, "y", "approve"),
		Reject:     b([]string{"n", "N"}, "n", "reject (reason)"),
		Edit:       b([]string{"e", "E"}, "e", "edit & run"),
		ApproveAll: b([]string{"a", "A"}, "a", "approve all"),
		Run:        b([]string{"enter", "ctrl+s"}, "enter", "send reason / run edit"),
		Back:       b([]string{"esc"}, "esc", "back"),
		Fork:       b([]string{"F"}, "F", "fork at the selected event"),
		ForkMode:   b([]string{"ctrl+r"}, "ctrl+r", "fork: edit the call or replace its result"),
		Wheel:      b([]string{"ctrl+]"}, "ctrl+]", "take the wheel: your own shell in the sandbox (agent pauses); again hands back"),

		Play:       b([]string{"space", " "}, "space", "play/pause"),
		Speed:      b([]string{"+", "=", "-"}, "+/-", "speed"),
		StepEv:     b([]string{"right", "l", "left", "h"}, "←/→", "step one event"),
		Jump:       b([]string{"<", ">", "home", "end"}, "</>", "start/end"),
		ReplayQuit: b([]string{"q", "ctrl+q", "ctrl+c", "ctrl+d"}, "q", "quit"),

		HelpAnywhere: key.NewBinding(key.WithKeys("f1")), // "?" types in the prompt box
		HelpClose:    key.NewBinding(key.WithKeys("?", "f1", "esc", "q", "enter")),
		EOF:          key.NewBinding(key.WithKeys("ctrl+d")),
		ScrollUp:     key.NewBinding(key.WithKeys("k", "up")),
		ScrollDown:   key.NewBinding(key.WithKeys("j", "down")),
		SpeedUp:      key.NewBinding(key.WithKeys("+", "=")),
		SpeedDown:    key.NewBinding(key.WithKeys("-", "_")),
		StepBack:     key.NewBinding(key.WithKeys("left", "h")),
		StepForward:  key.NewBinding(key.WithKeys("right", "l")),
		Start:        key.NewBinding(key.WithKeys("<", "home")),
		End:          key.NewBinding(key.WithKeys(">", "end")),
		ConfirmYes:   key.NewBinding(key.WithKeys("y", "Y", "enter", "ctrl+q")),
		ConfirmNo:    key.NewBinding(key.WithKeys("n", "N", "esc", "ctrl+c")),
	}
}

func (m *model) shortHelp() []key.Binding {
	k := m.keys
	hint := func(keys, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
	}
	// A dialog on top takes every key: name only what it answers to.
	switch {
	case m.wheel != nil:
		return []key.Binding{withHelp(k.Wheel, k.Wheel.Help().Key, "hand back")}
	case m.quit.active:
		return nil
	case m.quit.confirm:
		return []key.Binding{hint("y", "quit"), hint("n/esc", "stay")}
	case m.showHelp:
		return []key.Binding{hint("esc/?", "close help")}
	case m.picker.open:
		return []key.Binding{hint("↑/↓", "select"), hint("pgup/pgdn", "page"), hint("enter", "switch"), hint("esc", "close")}
	case m.fork.open:
		return []key.Binding{hint("enter", "fork"), hint("tab", "model"), hint("esc", "cancel")}
	}
	if m.focus == focusStream && m.stream.CapturingInput() {
		// Search box or full view: they take every key but ctrl+c (and,
		// live, ctrl+q); replay's play and step keys do not reach it.
		quit := withHelp(k.Quit, "ctrl+q", "quit")
		if m.replay != nil {
			quit = hint("ctrl+c", "quit")
		}
		return append(m.stream.ShortHelp(), quit)
	}
	if m.replay != nil {
		out := []key.Binding{k.Play, k.Speed, k.StepEv, k.Jump}
		if m.opts.Fork != nil {
			out = append(out, k.Fork)
		}
		return append(append(out, k.ReplayQuit, k.Help), withoutSpace(m.stream.ShortHelp())...)
	}
	if m.approval.active() && m.focus == focusApproval {
		return m.approval.shortHelp(k)
	}
	hf := k.Help
	if m.focus == focusPrompt {
		hf = key.NewBinding(key.WithKeys("f1"), key.WithHelp("f1", "help"))
	}
	var out []key.Binding
	switch m.focus {
	case focusPrompt:
		out = []key.Binding{k.Send, withHelp(k.Newline, "shift+enter", "newline"), k.Focus}
		if m.canEditQueued() {
			out = append(out, withHelp(k.EditQueued, "↑", "edit queued"))
		}
	case focusStream:
		out = append([]key.Binding{k.Focus}, m.stream.ShortHelp()...)
	}
	if m.approval.active() {
		out = append([]key.Binding{k.Review}, out...)
	}
	if m.busy() {
		out = append(out, k.Cancel)
	}
	if m.runActive() {
		// Pausing is between the agent's steps: not for your own !command.
		out = append(out, k.Pause)
	}
	return append(out, k.Step, hf, withHelp(k.Quit, "ctrl+q", "quit"))
}

func (m *model) fullHelp() [][]key.Binding {
	k := m.keys
	if m.replay != nil {
		groups := [][]key.Binding{{k.Play, k.Speed, k.StepEv, k.Jump, k.Sandbox, k.Help, k.ReplayQuit}}
		if m.opts.Fork != nil {
			groups[0] = append(groups[0], k.Fork)
		}
		for _, g := range m.stream.FullHelp() {
			groups = append(groups, withoutSpace(g))
		}
		return groups
	}
	groups := [][]key.Binding{
		{k.Send, k.Newline, k.History, k.EditQueued, k.Shell, k.Focus, k.FocusBack, k.Sandbox, k.Mouse},
		{k.Step, k.Pause, k.Cancel, k.Interrupt, k.Model, k.Quit, k.Help},
		{k.Review, k.Approve, k.Reject, k.Edit, k.ApproveAll, k.Run, k.Back},
		{k.Fork, k.ForkMode, k.Wheel},
	}
	return append(groups, m.stream.FullHelp()...)
}

// withoutSpace relabels the stream's bindings that use space, which replay
// takes for play/pause, with their other key.
func withoutSpace(bs []key.Binding) []key.Binding {
	out := make([]key.Binding, 0, len(bs))
	for _, b := range bs {
		if keys := b.Keys(); slices.Contains(keys, "space") {
			rest := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "space" })
			if len(rest) == 0 {
				continue
			}
			b = key.NewBinding(key.WithKeys(rest...), key.WithHelp(rest[0], b.Help().Desc))
		}
		out = append(out, b)
	}
	return out
}
