package eventlist

import (
	"fmt"
	"strings"
	"time"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
)

// reasoningTail is how many rows of reasoning show while it streams.
const reasoningTail = 6

func (m *Model) onReasoning(ev session.Event) {
	e := m.openReasoning
	if ev.Kind == session.KindReasoning {
		if e == nil {
			if strings.TrimSpace(ev.Message.Text) == "" {
				return
			}
			e = m.push(kindReasoning)
		}
		e.text.Reset()
		e.text.WriteString(ev.Message.Text)
		e.done = true
		e.changed()
		m.openReasoning = nil
		return
	}
	if e == nil {
		e = m.push(kindReasoning)
		m.openReasoning = e
	}
	e.text.WriteString(ev.Message.Text)
	e.changed()
}

func (m *Model) closeReasoning() {
	if e := m.openReasoning; e != nil {
		e.done = true
		e.changed()
		m.openReasoning = nil
	}
}

// onRetry notes a retry in the stream; when the failed attempt's text is
// void, what it streamed is cleared so the new attempt starts clean.
func (m *Model) onRetry(r *session.Retry) {
	if r.Discard {
		for _, e := range []*entry{m.openAssistant, m.openReasoning} {
			if e != nil {
				e.text.Reset()
				e.changed()
			}
		}
	}
	e := m.push(kindNote)
	e.text.WriteString(RetryText(r, r.Wait))
	e.done = true
}

// RetryText says why an LLM call is retried and when:
// "rate limited · retry 2/5 in 41 s".
func RetryText(r *session.Retry, left time.Duration) string {
	secs := int((left + time.Second - 1) / time.Second)
	s := fmt.Sprintf("%s · retry %d/%d in %d s", termsafe.SanitizeLine(r.Reason), r.Attempt, r.Max, max(secs, 0))
	if r.Discard {
		s += " (the cut-off reply is discarded)"
	}
	return s
}

// selectedReasoning is the reasoning entry under the selection, if it is one.
func (m *Model) selectedReasoning() (*entry, int) {
	i := m.selected()
	if i < 0 {
		return nil, -1
	}
	if e := m.visEntry(i); e.kind == kindReasoning && e.done {
		return e, i
	}
	return nil, -1
}

func (m *Model) renderReasoning(e *entry, w int) []string {
	st := &m.pal
	text := strings.TrimSpace(termsafe.Sanitize(e.text.String()))
	if text == "" {
		text = "…"
	}
	rows := wrap(text, w-2)
	switch {
	case !e.done:
		if len(rows) > reasoningTail {
			rows = rows[len(rows)-reasoningTail:]
		}
	case !m.expanded(e):
		first := strings.Join(strings.Fields(text), " ")
		lines := strings.Count(text, "\n") + 1
		suffix := fmt.Sprintf(" (%d lines)", lines)
		if r := []rune(first); len(r) > max(w-len(suffix)-14, 10) {
			first = string(r[:max(w-len(suffix)-15, 9)]) + "…"
		}
		return prefixed([]string{"thought: " + first + suffix}, "∴ ", "  ", st.Dim)
	}
	return prefixed(rows, "∴ ", "  ", st.Dim)
}
