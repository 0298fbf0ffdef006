package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
)

type approvalMode int

const (
	approvalView   approvalMode = iota // y / n / e / a
	approvalReason                     // typing the rejection reason
	approvalEdit                       // editing the args (or the command)
)

// approvalPanel shows the action waiting for approval and collects the
// user's answer. It only ever reacts to keys while it has focus.
type approvalPanel struct {
	action      *session.Action
	pretty      string // the args, indented
	mode        approvalMode
	focused     bool
	reason      textinput.Model
	editor      textarea.Model
	commandOnly bool // editing just the terminal command, not the JSON
	err         string
	scroll      int
	fittedW     int  // the stream width fit last applied; 0: none yet
	fittedFocus bool // and the editor's focus then (its style's frame)
}

// fit sizes the reason box and the editor to the stream's width (once per
// width: a resize re-wraps the editor's text).
func (p *approvalPanel) fit(streamW int) {
	if streamW == p.fittedW && p.editor.Focused() == p.fittedFocus {
		return
	}
	p.fittedW, p.fittedFocus = streamW, p.editor.Focused()
	p.reason.SetWidth(max(streamW-14, 1))
	// The panel's border and the body's indent take three cells: a
	// wider editor has its rows cut with a stray "…".
	p.editor.SetWidth(max(streamW-3, 1))
}

// approvalAnswer is what the user decided; the model forwards it to the engine.
type approvalAnswer struct {
	kind   string // "approve", "approve_all", "reject", "edit"
	reason string
	args   json.RawMessage
}

func newApprovalPanel() approvalPanel {
	ri := textinput.New()
	ri.Prompt = "reason › "
	ri.Placeholder = "tell the agent what to do instead (enter sends, esc back)"
	ed := textarea.New()
	ed.ShowLineNumbers = false
	ed.Prompt = "│ "
	ed.CharLimit = 0
	ed.MaxContentHeight = 5000
	ed.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("shift+enter", "alt+enter", "ctrl+j"))
	return approvalPanel{reason: ri, editor: ed}
}

func (p *approvalPanel) setStyles(st styles, isDark bool) {
	p.fittedW = 0 // a style's frame changes the inner widths
	s := textarea.DefaultStyles(isDark)
	if st.noColor {
		s = textarea.Styles{Cursor: s.Cursor}
		s.Cursor.Color = nil
	}
	// A steady cursor: a blinking one would redraw the screen twice a
	// second while a reason is being typed.
	s.Cursor.Blink = false
	p.editor.SetStyles(s)
	ts := textinput.DefaultStyles(isDark)
	if st.noColor {
		ts = textinput.Styles{Cursor: ts.Cursor}
		ts.Cursor.Color = nil
	}
	ts.Cursor.Blink = false
	p.reason.SetStyles(ts)
}

func (p *approvalPanel) active() bool { return p.action != nil }

func (p *approvalPanel) set(a session.Action, st styles, isDark bool) {
	p.clear()
	p.action = &a
	var buf bytes.Buffer
	if json.Indent(&buf, a.Args, "", "  ") == nil {
		p.pretty = unescapeHTML(buf.String())
	} else {
		p.pretty = string(a.Args)
	}
	p.setStyles(st, isDark)
}

func (p *approvalPanel) clear() {
	p.action, p.pretty, p.err, p.scroll = nil, "", "", 0
	p.mode = approvalView
	p.reason.Reset()
	p.reason.Blur()
	p.editor.Reset()
	p.editor.Blur()
}

func (p *approvalPanel) focus() tea.Cmd {
	p.focused = true
	switch p.mode {
	case approvalReason:
		return p.reason.Focus()
	case approvalEdit:
		return p.editor.Focus()
	}
	return nil
}

func (p *approvalPanel) blur() {
	p.focused = false
	p.reason.Blur()
	p.editor.Blur()
}

// startEdit opens the editor on the command alone for terminal actions whose
// args carry a "command" string, else on the whole JSON.
func (p *approvalPanel) startEdit() tea.Cmd {
	p.mode, p.err = approvalEdit, ""
	p.commandOnly = false
	text := p.pretty
	if cmd, ok := terminalCommand(*p.action); ok {
		text, p.commandOnly = cmd, true
	}
	p.editor.SetValue(text)
	p.editor.SetHeight(min(max(p.editor.LineCount(), 3), 12))
	return p.editor.Focus()
}

// editedArgs validates the editor's text and turns it into the new args.
func (p *approvalPanel) editedArgs() (json.RawMessage, error) {
	text := p.editor.Value()
	if p.commandOnly {
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("the command is empty: type one, or press esc and reject instead")
		}
		return argsWithCommand(p.action.Args, text)
	}
	if !json.Valid([]byte(text)) {
		var v any
		err := json.Unmarshal([]byte(text), &v)
		return nil, fmt.Errorf("not valid JSON (%v): fix it, or esc to go back", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return nil, fmt.Errorf("not valid JSON (%w): fix it, or esc to go back", err)
	}
	return buf.Bytes(), nil
}

// onKey handles a key while the panel has focus. It returns an answer when
// the user decided, and back=true when they left the panel.
func (p *approvalPanel) onKey(k tea.KeyPressMsg, km keyMap) (ans *approvalAnswer, back bool, cmd tea.Cmd) {
	switch p.mode {
	case approvalReason:
		switch {
		case key.Matches(k, km.Send):
			return &approvalAnswer{kind: "reject", reason: strings.TrimSpace(p.reason.Value())}, false, nil
		case key.Matches(k, km.Back):
			p.mode = approvalView
			p.reason.Blur()
			return nil, false, nil
		}
		p.reason, cmd = p.reason.Update(k)
		return nil, false, cmd
	case approvalEdit:
		switch {
		case key.Matches(k, km.Run):
			args, err := p.editedArgs()
			if err != nil {
				p.err = err.Error()
				return nil, false, nil
			}
			return &approvalAnswer{kind: "edit", args: args}, false, nil
		case key.Matches(k, km.Back):
			p.mode, p.err = approvalView, ""
			p.editor.Blur()
			return nil, false, nil
		}
		p.err = ""
		p.editor, cmd = p.editor.Update(k)
		return nil, false, cmd
	}
	switch {
	case key.Matches(k, km.Approve):
		return &approvalAnswer{kind: "approve"}, false, nil
	case key.Matches(k, km.ApproveAll):
		return &approvalAnswer{kind: "approve_all"}, false, nil
	case key.Matches(k, km.Reject):
		p.mode = approvalReason
		return nil, false, p.reason.Focus()
	case key.Matches(k, km.Edit):
		return nil, false, p.startEdit()
	case key.Matches(k, km.Back):
		return nil, true, nil
	case key.Matches(k, km.ScrollDown):
		p.scroll = min(p.scroll+1, strings.Count(p.pretty, "\n"))
	case key.Matches(k, km.ScrollUp):
		p.scroll = max(0, p.scroll-1)
	}
	return nil, false, nil
}

// update passes non-key messages (cursor blink) to the open input.
func (p *approvalPanel) update(msg tea.Msg) tea.Cmd {
	if !p.active() {
		return nil
	}
	var cmd tea.Cmd
	switch p.mode {
	case approvalReason:
		p.reason, cmd = p.reason.Update(msg)
	case approvalEdit:
		p.editor, cmd = p.editor.Update(msg)
	}
	return cmd
}

func (p *approvalPanel) shortHelp(k keyMap) []key.Binding {
	switch p.mode {
	case approvalReason:
		return []key.Binding{withHelp(k.Run, "enter", "reject with this reason"), k.Back}
	case approvalEdit:
		return []key.Binding{withHelp(k.Run, "enter/ctrl+s", "run edited"), k.Newline, k.Back}
	}
	return []key.Binding{k.Approve, k.Reject, k.Edit, k.ApproveAll, withHelp(k.Back, "esc", "back to prompt")}
}

func withHelp(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}

// unescapeHTML undoes encoding/json's HTML escaping (\u0026 for &, \u003c,
// \u003e) so commands read as typed; an escaped backslash before the u
// (a literal "\\u0026" in the string) is left alone.
func unescapeHTML(s string) string {
	if !strings.Contains(s, `\u00`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == 'u' && i+6 <= len(s) {
				switch s[i+2 : i+6] {
				case "0026":
					b.WriteByte('&')
					i += 5
					continue
				case "003c":
					b.WriteByte('<')
					i += 5
					continue
				case "003e":
					b.WriteByte('>')
					i += 5
					continue
				}
			}
			b.WriteString(s[i : i+2])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// terminalCommand is the command string of a terminal action's arguments,
// which the editors show alone.
func terminalCommand(a session.Action) (string, bool) {
	var obj map[string]json.RawMessage
	if a.Command == "" || json.Unmarshal(a.Args, &obj) != nil {
		return "", false
	}
	var cmd string
	if raw, ok := obj["command"]; ok && json.Unmarshal(raw, &cmd) == nil {
		return cmd, true
	}
	return "", false
}

// argsWithCommand is args with its "command" replaced.
func argsWithCommand(args json.RawMessage, cmd string) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(args, &obj); err != nil {
		return nil, fmt.Errorf("the original arguments are not a JSON object: %w", err)
	}
	raw, _ := json.Marshal(cmd)
	obj["command"] = raw
	return json.Marshal(obj)
}
