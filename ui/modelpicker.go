package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/tether-dev/tether/internal/termsafe"
)

// ModelSwitcher is what the model picker needs of an engine (app.Engine
// has it). Without it the picker says switching is not available.
type ModelSwitcher interface {
	// Models lists the endpoint's models, the one in use first. It may
	// block: the UI calls it from a tea.Cmd.
	Models(ctx context.Context) ([]string, error)
	// SetModel sends the next LLM calls to name; it must not block.
	SetModel(name string) error
}

// modelListTimeout bounds the wait for the endpoint's list.
const modelListTimeout = 15 * time.Second

// modelPicker is the dialog that switches the model mid-session: the
// endpoint's models filtered by what is typed, and the typed text itself
// as a name the list does not have. An endpoint may list hundreds: the
// list scrolls and pages, and the filter runs once per change of text on
// names lower-cased once.
type modelPicker struct {
	open    bool
	loading bool
	err     string
	models  []string
	lower   []string // models lower-cased, for the filter
	input   textinput.Model
	sel     int
	top     int // first row shown
	rows    int // list rows the last frame had room for: a page

	// configured is the model the configuration names: listed right
	// after the one in use.
	configured string

	cached      bool
	cacheQ      string
	cacheChoice []string
}

type modelsMsg struct {
	ids []string
	err error
}

func (a *model) openPicker() tea.Cmd {
	sw, ok := a.eng.(ModelSwitcher)
	if !ok {
		a.setNotice("this engine cannot switch models", true)
		return nil
	}
	if !a.info.HasModel {
		a.setNotice("no model configured: "+a.info.NoModelHint, true)
		return nil
	}
	p := &a.picker
	p.open, p.loading, p.err, p.sel, p.top = true, true, "", 0, 0
	p.setModels(a.info.ModelName, nil)
	p.input = textinput.New()
	p.input.Prompt = "model: "
	p.input.Placeholder = "filter, or type any model name"
	p.input.CharLimit = 200
	p.input.SetWidth(40)
	if a.opts.NoColor {
		var s textinput.Styles
		s.Focused.Placeholder = lipgloss.NewStyle().Faint(true)
		s.Blurred = s.Focused
		s.Cursor.Color = lipgloss.NoColor{}
		p.input.SetStyles(s)
	}
	focus := p.input.Focus()
	list := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), modelListTimeout)
		defer cancel()
		ids, err := sw.Models(ctx)
		return modelsMsg{ids: ids, err: err}
	}
	return tea.Batch(focus, list)
}

func (a *model) onModels(msg modelsMsg) {
	p := &a.picker
	p.loading = false
	if msg.err != nil {
		p.err = termsafe.SanitizeLine(msg.err.Error())
	}
	if len(msg.ids) > 0 {
		p.setModels(a.info.ModelName, msg.ids)
	}
	p.sel = min(p.sel, max(len(p.choices())-1, 0))
}

// setModels lists the model in use first, then the configured one, then
// the endpoint's others in its order.
func (p *modelPicker) setModels(inUse string, ids []string) {
	out := make([]string, 0, len(ids)+2)
	seen := make(map[string]bool, len(ids)+2)
	for _, id := range append([]string{inUse, p.configured}, ids...) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	p.models = out
	p.lower = make([]string, len(out))
	for i, m := range out {
		p.lower[i] = strings.ToLower(m)
	}
	p.cached = false
}

// choices are the listed models matching the typed text, then the typed
// text itself when no listed name is exactly it. They are worked out once
// per text: keys and frames in between reuse them.
func (p *modelPicker) choices() []string {
	q := strings.TrimSpace(p.input.Value())
	if p.cached && p.cacheQ == q {
		return p.cacheChoice
	}
	lq := strings.ToLower(q)
	var out []string
	exact := false
	for i, m := range p.models {
		if lq == "" || strings.Contains(p.lower[i], lq) {
			out = append(out, m)
		}
		exact = exact || m == q
	}
	if q != "" && !exact {
		out = append(out, q)
	}
	p.cached, p.cacheQ, p.cacheChoice = true, q, out
	return out
}

// move puts the selection at i (clamped to the choices).
func (p *modelPicker) move(i int) {
	p.sel = max(min(i, len(p.choices())-1), 0)
}

func (a *model) onPickerKey(k tea.KeyPressMsg) tea.Cmd {
	p := &a.picker
	switch k.String() {
	case "esc", "ctrl+c":
		p.open = false
		return nil
	case "up", "ctrl+p":
		p.move(p.sel - 1)
		return nil
	case "down", "ctrl+n", "tab":
		p.move(p.sel + 1)
		return nil
	case "pgup":
		p.move(p.sel - max(p.rows, 1))
		return nil
	case "pgdown":
		p.move(p.sel + max(p.rows, 1))
		return nil
	case "home":
		p.move(0)
		return nil
	case "end":
		p.move(len(p.choices()) - 1)
		return nil
	case "enter":
		ch := p.choices()
		if len(ch) == 0 {
			return nil
		}
		name := ch[min(p.sel, len(ch)-1)]
		p.open = false
		if name == a.info.ModelName {
			a.setNotice("already using "+name, false)
			return nil
		}
		if err := a.eng.(ModelSwitcher).SetModel(name); err != nil {
			a.setNotice("model not switched: "+err.Error(), true)
			return nil
		}
		a.setNotice("switching to "+name+": the next call goes to it", false)
		return nil
	}
	before := p.input.Value()
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	if p.input.Value() != before {
		// A new filter starts at its best match, not wherever the
		// selection was in the longer list (which may be the typed text).
		p.sel, p.top = 0, 0
	}
	p.sel = min(p.sel, max(len(p.choices())-1, 0))
	return cmd
}

// pickerBox draws the dialog.
func (a *model) pickerBox(w, h int) []string {
	p := &a.picker
	p.input.SetWidth(max(min(w-16, 60), 10))
	body := []string{p.input.View(), ""}
	ch := p.choices()
	// The box stays inside the event stream's frame: the prompt, hints
	// and status bar below stay in sight.
	rows := max(h-16, 3)
	p.rows = rows
	// The window moves only as far as the selection needs: paging up from
	// the bottom does not jump.
	p.top = min(p.top, p.sel)
	if p.sel >= p.top+rows {
		p.top = p.sel - rows + 1
	}
	p.top = max(min(p.top, len(ch)-rows), 0)
	first := p.top
	q := strings.TrimSpace(p.input.Value())
	for i := first; i < len(ch) && i < first+rows; i++ {
		name := termsafe.SanitizeLine(ch[i])
		label := name
		switch {
		case ch[i] == a.info.ModelName:
			label += a.st.faint.Render("  (in use)")
		case ch[i] == p.configured:
			label += a.st.faint.Render("  (configured)")
		case ch[i] == q && i == len(ch)-1:
			label = "use " + fmt.Sprintf("%q", name) + a.st.faint.Render("  (not listed by the endpoint)")
		}
		if i == p.sel {
			label = a.st.bold.Render("▸ ") + label
		} else {
			label = "  " + label
		}
		body = append(body, fitLine(label, max(w-6, 10)))
	}
	if len(ch) == 0 {
		body = append(body, a.st.faint.Render("  no model matches: type its full name"))
	}
	if len(ch) > rows {
		more := fmt.Sprintf("  %d/%d", p.sel+1, len(ch))
		if first > 0 {
			more += fmt.Sprintf(" · ↑ %d more", first)
		}
		if below := len(ch) - first - rows; below > 0 {
			more += fmt.Sprintf(" · ↓ %d more", below)
		}
		body = append(body, a.st.faint.Render(more+" · pgup/pgdn home/end"))
	}
	switch {
	case p.loading:
		body = append(body, "", a.st.faint.Render(strings.TrimSpace(a.spin.View())+" asking the endpoint for its models…"))
	case p.err != "":
		body = append(body, "", a.st.errorText.Render(fitLine(p.err, max(w-6, 10))))
	}
	return a.boxLines("switch model · ↑/↓ enter · esc closes", body, w, h)
}

func pickerKey() key.Binding {
	return key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "switch model"))
}
