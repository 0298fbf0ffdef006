package eventlist

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
)

// MaxCopy bounds what one copy puts on the clipboard (terminals cap OSC 52
// payloads, and a pasted megabyte is rarely meant).
const MaxCopy = 1 << 20

// CopyMsg asks the host to put Text on the clipboard. The list sends it
// for the copy key; the text is what the list shows (sanitized: no
// control character reaches whatever it is pasted into).
type CopyMsg struct {
	Text string
	// What names it for a notice: "the output of `make test`".
	What      string
	Lines     int
	Truncated bool // Text holds the first MaxCopy bytes only
}

// copySelected builds the copy of the selected entry: a tool call's
// command and its whole output (spilled lines read back), or a message's
// text.
func (m *Model) copySelected() tea.Cmd {
	var e *entry
	if m.full != nil {
		e = m.full.e
	} else if i := m.selected(); i >= 0 {
		e = m.visEntry(i)
	}
	if e == nil {
		m.search.note = "nothing to copy yet"
		return nil
	}
	msg, ok := m.copyOf(e)
	if !ok {
		m.search.note = "nothing to copy in this entry"
		return nil
	}
	return func() tea.Msg { return msg }
}

func (m *Model) copyOf(e *entry) (CopyMsg, bool) {
	var b strings.Builder
	c := CopyMsg{}
	add := func(line string) bool {
		if b.Len()+len(line)+1 > MaxCopy {
			c.Truncated = true
			return false
		}
		if c.Lines > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
		c.Lines++
		return true
	}
	switch e.kind {
	case kindTool:
		icon, head := toolTitle(e)
		c.What = "the output of " + strings.TrimSpace(icon) + " " + fit(strings.ReplaceAll(head, "\n", " "), 40)
		switch {
		case e.out != nil && e.out.lines() > 0:
			err := e.out.scan(0, func(_ int, line string) bool { return add(line) })
			if err != nil {
				m.log.Warn("copy: reading spilled output", "err", err)
			}
			if p := e.out.partialLine(); p != "" && !c.Truncated {
				add(p)
			}
		case len(e.diff) > 0:
			c.What = "the diff of " + fit(head, 40)
			for _, l := range e.diff {
				if !add(l) {
					break
				}
			}
		default:
			// No output: the command itself.
			c.What = "the command " + fit(strings.ReplaceAll(head, "\n", " "), 40)
			for _, l := range strings.Split(head, "\n") {
				add(l)
			}
		}
	case kindReasoning, kindAssistant, kindUser, kindError, kindNote, kindState, kindSandbox, kindUsage:
		text := strings.TrimSpace(e.text.String())
		for _, l := range strings.Split(termsafe.Sanitize(text), "\n") {
			if !add(l) {
				break
			}
		}
		c.What = map[entryKind]string{kindAssistant: "the agent's reply", kindUser: "your prompt", kindReasoning: "the model's reasoning", kindError: "the error"}[e.kind]
		if c.What == "" {
			c.What = "the note"
		}
	}
	c.Text = b.String()
	if strings.TrimSpace(c.Text) == "" {
		return CopyMsg{}, false
	}
	if c.Truncated {
		c.What += fmt.Sprintf(" (its first %d KiB)", MaxCopy>>10)
	}
	return c, true
}
