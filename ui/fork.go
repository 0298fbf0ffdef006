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
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/eventlist"
)

// ForkRequest asks for a new branch of the session on screen: its
// conversation up to event At with Edit applied, in a sandbox restored
// to that point, on Model ("" = the same model).
type ForkRequest struct {
	At    int64
	Edit  session.Edit
	Model string
}

// ForkRequestMsg carries a fork to the parent (ui/fleet) of an embedded
// screen, which starts the branch beside the original.
type ForkRequestMsg struct {
	Engine  Engine // the session forked
	Request ForkRequest
}

// forkDoneMsg is a branch started for the plain screen (Options.Fork).
type forkDoneMsg struct {
	eng Engine
	req ForkRequest
	err error
}

type forkMode uint8

const (
	forkPrompt forkMode = iota // edit the prompt and go on from it
	forkCall                   // edit the tool call; it runs in the branch
	forkResult                 // replace what the model is told it returned
)

// forkDialog is the fork overlay: what to change at the selected event.
type forkDialog struct {
	open    bool
	sel     eventlist.Selection
	mode    forkMode
	editor  textarea.Model
	model   textinput.Model
	onModel bool // the model field has the keyboard
	orig    string
	command bool // a terminal call: the editor holds its command alone
	err     string
	busy    bool // the branch is being started
}

func newForkDialog() forkDialog {
	ed := textarea.New()
	ed.ShowLineNumbers = false
	ed.Prompt = "│ "
	ed.CharLimit = 0
	ed.MaxContentHeight = 5000
	ed.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("shift+enter", "alt+enter", "ctrl+j"))
	mi := textinput.New()
	mi.Prompt = "model › "
	mi.Placeholder = "same model"
	return forkDialog{editor: ed, model: mi}
}

func (d *forkDialog) setStyles(st styles, isDark bool) {
	s := textarea.DefaultStyles(isDark)
	ts := textinput.DefaultStyles(isDark)
	if st.noColor {
		s = textarea.Styles{Cursor: s.Cursor}
		s.Cursor.Color = nil
		ts = textinput.Styles{Cursor: ts.Cursor}
		ts.Cursor.Color = nil
	}
	s.Cursor.Blink, ts.Cursor.Blink = false, false
	d.editor.SetStyles(s)
	d.model.SetStyles(ts)
}

// start opens the dialog on a selection.
func (d *forkDialog) start(sel eventlist.Selection, st styles, isDark bool) tea.Cmd {
	*d = forkDialog{open: true, sel: sel, editor: d.editor, model: d.model}
	d.setStyles(st, isDark)
	d.model.Reset()
	d.model.Blur()
	if sel.Action != nil {
		d.mode = forkCall
	}
	d.fill()
	return d.editor.Focus()
}

// fill puts the text of the current mode in the editor.
func (d *forkDialog) fill() {
	switch d.mode {
	case forkPrompt:
		d.orig = d.sel.Prompt
	case forkCall:
		var buf bytes.Buffer
		if cmd, ok := terminalCommand(*d.sel.Action); ok {
			d.orig, d.command = cmd, true
		} else if json.Indent(&buf, d.sel.Action.Args, "", "  ") == nil {
			d.orig = unescapeHTML(buf.String())
		} else {
			d.orig = string(d.sel.Action.Args)
		}
	case forkResult:
		d.orig = ""
		if d.sel.Observation != nil {
			d.orig = d.sel.Observation.Content
		}
	}
	d.editor.SetValue(d.orig)
	d.editor.SetHeight(min(max(d.editor.LineCount(), 3), 10))
	d.err = ""
}

// request turns the dialog into a fork request, or says what is wrong.
func (d *forkDialog) request() (ForkRequest, error) {
	text := d.editor.Value()
	req := ForkRequest{At: d.sel.Seq, Model: strings.TrimSpace(d.model.Value())}
	switch d.mode {
	case forkPrompt:
		if strings.TrimSpace(text) == "" {
			return req, fmt.Errorf("the prompt is empty: type what the agent should be asked")
		}
		if text != d.orig {
			req.Edit.Prompt = text
		}
	case forkCall:
		if text != d.orig && d.command {
			if strings.TrimSpace(text) == "" {
				return req, fmt.Errorf("the command is empty: type one, or esc to cancel")
			}
			args, err := argsWithCommand(d.sel.Action.Args, text)
			if err != nil {
				return req, err
			}
			req.Edit.Args = args
		} else if text != d.orig {
			if !json.Valid([]byte(text)) {
				return req, fmt.Errorf(`the arguments are not valid JSON: give an object such as {"command": "ls"}`)
			}
			req.Edit.Args = json.RawMessage(text)
		}
	case forkResult:
		req.At = d.sel.ResultSeq
		req.Edit.Observation = &text
	}
	return req, nil
}

// onKey handles the dialog's keys; done reports a request to send.
func (d *forkDialog) onKey(k tea.KeyPressMsg, km keyMap) (req *ForkRequest, cmd tea.Cmd) {
	if d.busy {
		return nil, nil
	}
	switch {
	case key.Matches(k, km.Back):
		d.open = false
		return nil, nil
	case key.Matches(k, km.ForkMode):
		if d.sel.Action != nil && d.sel.ResultSeq > 0 {
			if d.mode == forkCall {
				d.mode = forkResult
			} else {
				d.mode = forkCall
			}
			d.fill()
		}
		return nil, nil
	case key.Matches(k, km.Focus, km.FocusBack):
		d.onModel = !d.onModel
		if d.onModel {
			d.editor.Blur()
			return nil, d.model.Focus()
		}
		d.model.Blur()
		return nil, d.editor.Focus()
	case key.Matches(k, km.Run):
		r, err := d.request()
		if err != nil {
			d.err = err.Error()
			return nil, nil
		}
		d.busy = true
		return &r, nil
	}
	if d.onModel {
		var c tea.Cmd
		d.model, c = d.model.Update(k)
		return nil, c
	}
	var c tea.Cmd
	d.editor, c = d.editor.Update(k)
	return nil, c
}

func (d *forkDialog) update(msg tea.Msg) tea.Cmd {
	if !d.open {
		return nil
	}
	if d.onModel {
		var c tea.Cmd
		d.model, c = d.model.Update(msg)
		return c
	}
	var c tea.Cmd
	d.editor, c = d.editor.Update(msg)
	return c
}

// forkBox draws the dialog.
func (a *model) forkBox(w, h int) []string {
	d := &a.fork
	bw := min(max(w*3/4, 50), w)
	inner := max(bw-4, 10)
	d.editor.SetWidth(inner)
	d.model.SetWidth(max(inner-len(d.model.Prompt)-1, 10))
	var what, help string
	switch d.mode {
	case forkPrompt:
		what = fmt.Sprintf("at your prompt (event %d): edit it, the agent starts again from it", d.sel.Seq)
	case forkCall:
		what = fmt.Sprintf("at the %s call (event %d): edit its arguments, it runs in the branch", termsafe.SanitizeLine(d.sel.Action.Tool), d.sel.Seq)
		if d.command {
			what = fmt.Sprintf("at the %s call (event %d): edit its command, it runs in the branch", termsafe.SanitizeLine(d.sel.Action.Tool), d.sel.Seq)
		}
	case forkResult:
		what = fmt.Sprintf("after the %s call (event %d): replace what the model is told it returned", termsafe.SanitizeLine(d.sel.Action.Tool), d.sel.ResultSeq)
	}
	var body []string
	for _, l := range strings.Split(ansi.Wordwrap(what, inner, ""), "\n") {
		body = append(body, fitLine(l, inner))
	}
	for _, l := range strings.Split(ansi.Wordwrap("The files are put back as they were then; the original session stays as it is.", inner, ""), "\n") {
		body = append(body, fitLine(a.st.faint.Render(l), inner))
	}
	body = append(body, "")
	body = append(body, strings.Split(d.editor.View(), "\n")...)
	body = append(body, "", fitLine(d.model.View(), inner))
	if d.err != "" {
		body = append(body, fitLine(a.st.errorText.Render(termsafe.SanitizeLine(d.err)), inner))
	}
	help = "enter fork · shift+enter newline · tab model · esc cancel"
	if d.sel.Action != nil && d.sel.ResultSeq > 0 {
		help = "enter fork · ctrl+r call/result · tab model · esc cancel"
	}
	if d.busy {
		help = strings.TrimSpace(a.spin.View()) + " starting the branch…"
	}
	body = append(body, "", fitLine(a.st.faint.Render(help), inner))
	padded := make([]string, len(body))
	for i, l := range body {
		padded[i] = " " + l
	}
	return a.frame("fork", padded, bw, min(len(body)+2, h), true)
}

// openFork opens the dialog on the stream's selection.
func (a *model) openFork() tea.Cmd {
	if a.replay != nil && a.opts.Fork == nil {
		a.setNotice("forking is not available in this replay: `tether replay` or `tether resume` on its recording can", true)
		return nil
	}
	sel, ok := a.stream.Selection()
	if !ok {
		a.setNotice("select a prompt or a tool call to fork at (k/j in the stream)", true)
		return nil
	}
	return a.fork.start(sel, a.st, a.dark)
}

// sendFork asks for the branch: the parent starts it when embedded, else
// Options.Fork does and this screen switches to it.
func (a *model) sendFork(req ForkRequest) tea.Cmd {
	if a.opts.Embedded {
		a.fork.open = false
		eng := a.eng
		return func() tea.Msg { return ForkRequestMsg{Engine: eng, Request: req} }
	}
	if a.opts.Fork == nil {
		a.fork.open = false
		a.setNotice("forking is not available here", true)
		return nil
	}
	mk, eng := a.opts.Fork, a.eng
	return func() tea.Msg {
		e, err := mk(eng, req)
		return forkDoneMsg{eng: e, req: req, err: err}
	}
}

// onForkDone switches the screen to the branch; the original's recording
// stays (Options.Fork decides what becomes of its engine).
func (a *model) onForkDone(msg forkDoneMsg) tea.Cmd {
	a.fork.busy = false
	if msg.err != nil || msg.eng == nil {
		err := msg.err
		if err == nil {
			err = fmt.Errorf("no engine was made")
		}
		a.fork.err = "could not fork: " + err.Error()
		return nil
	}
	a.fork.open = false
	return a.switchEngine(msg.eng, fmt.Sprintf("forked at event %d: this is the branch", msg.req.At))
}

// switchEngine shows another engine from its first event on.
func (a *model) switchEngine(e Engine, notice string) tea.Cmd {
	a.leaveReplay(e)
	_ = a.stream.Close()
	focused := a.stream.Focused()
	a.stream = newStream(a.opts, !a.dark)
	a.lastStreamW, a.lastStreamH = -1, -1
	if focused {
		a.stream.Focus()
	}
	// The original goes on unseen: read its events so that it never
	// waits on a full channel (they are in its recording).
	if old := a.eng; old != nil {
		go func(ch <-chan session.Event) {
			for range ch {
			}
		}(old.Events())
	}
	a.eng, a.info = e, e.Info()
	a.sess = sessionView{state: session.StateIdle, stepMode: a.info.StepMode}
	a.sbx = sandboxView{}
	a.appended, a.steps, a.title = 0, 0, ""
	a.direct = nil
	a.eventsClosed = false
	a.approval.clear()
	a.setNotice(notice, false)
	return waitEvents(e.Events())
}
