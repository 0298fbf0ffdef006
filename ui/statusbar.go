package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/eventlist"
)

func itoa(n int) string { return strconv.Itoa(n) }

// tokens formats a token count compactly: 950, 12.3k, 1.2M.
func tokens(n int) string {
	switch {
	case n < 1000:
		return itoa(n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1fM", float64(n)/1e6)
}

// stateLabel is how a session state reads in the status bar.
func stateLabel(s session.State) string {
	switch s {
	case session.StateWaiting:
		return "awaiting approval"
	case "":
		return "starting"
	}
	return string(s)
}

func stateIcon(s session.State) string {
	switch s {
	case session.StatePaused:
		return "⏸"
	case session.StateWaiting:
		return "⚠"
	case session.StateFinished:
		return "✓"
	case session.StateError, session.StateStuck:
		return "✗"
	case session.StateCancelled:
		return "■"
	}
	return "●"
}

// statusLine: state (spinning while running), model, tokens, cost, elapsed,
// step mode, follow. When it does not fit, the least important parts go.
func (a *model) statusLine() string {
	st := a.st
	type part struct {
		text string
		prio int // higher stays longer
	}
	icon := stateIcon(a.sess.state)
	label := stateLabel(a.sess.state)
	if a.sess.state == session.StateRunning || (len(a.direct) > 0 && !a.runActive()) {
		icon = strings.TrimSpace(a.spin.View())
	}
	if n := len(a.direct); n > 0 && !a.runActive() {
		label = "your command running"
		if n > 1 {
			label = itoa(n) + " commands running"
		}
	}
	state := icon + " " + st.stateAs(string(a.sess.state), label)
	switch {
	case a.runActive() || a.replay != nil || len(a.direct) > 0:
	case a.sandboxFailed():
		// "idle" would invite a prompt that has nowhere to run.
		state = "✗ " + st.stateAs(string(session.StateError), "no sandbox")
	case a.sbx.info != nil && a.sbx.info.ID == "" && a.sbx.info.State != "error":
		// A prompt sent now waits for the sandbox: say so.
		state = "◌ " + st.stateAs(string(session.StateIdle), "starting sandbox…")
	}
	parts := []part{{state, 9}}
	if r := a.sess.retry; r != nil && a.runActive() {
		parts = append(parts, part{st.faint.Render(eventlist.RetryText(r, max(a.sess.retryAt.Sub(a.now()), 0))), 8})
	}
	// The reason is the first to go when space is short (step mode,
	// follow and the time stay): the event stream has it too. An error the
	// stream printed is not printed again here, and "cancelled (cancelled
	// by user)" says nothing twice.
	if r := a.sess.reason; a.sess.state.Terminal() && r != "" && r != "cancelled by user" && r != a.sess.lastError {
		parts = append(parts, part{st.faint.Render(termsafe.SanitizeLine(r)), 0})
	}
	if a.replay == nil {
		model := termsafe.SanitizeLine(a.info.ModelName)
		if !a.info.HasModel || model == "" {
			model = "no model"
		}
		parts = append(parts, part{model, 2})
	}
	if u := a.sess.usage; u != nil {
		parts = append(parts, part{fmt.Sprintf("%s↑ %s↓ tok", tokens(u.TotalPromptTokens), tokens(u.TotalCompletionTokens)), 4})
		if u.CostKnown {
			parts = append(parts, part{fmt.Sprintf("$%.4f", u.TotalCostUSD), 5})
		} else {
			parts = append(parts, part{"cost unknown", 5})
		}
	} else {
		parts = append(parts, part{"0↑ 0↓ tok", 4})
	}
	if !a.sess.runStart.IsZero() {
		end := a.sess.runEnd
		if a.runActive() {
			end = a.now()
		}
		parts = append(parts, part{fmtDuration(max(end.Sub(a.sess.runStart), 0)), 3})
	}
	// The usual settings ("step off", "follow") are the first to go when
	// space is short; the unusual ones are worth keeping.
	step := part{"step off", 1}
	if a.sess.stepMode {
		step = part{st.bold.Render("step ON"), 7}
	}
	if a.replay == nil { // a recording cannot be stepped through approvals
		parts = append(parts, step)
	}
	follow := part{"follow", 1}
	if !a.stream.Following() {
		follow = part{st.bold.Render("scrolled"), 6}
	}
	parts = append(parts, follow)
	if a.mouseOff {
		parts = append(parts, part{st.bold.Render("select text") + st.faint.Render(" (ctrl+g)"), 6})
	}
	if a.sandboxHidden || a.h < 12 {
		if in := a.sbx.info; in != nil {
			parts = append(parts, part{"sandbox " + st.state(termsafe.SanitizeLine(in.State)), 1})
		}
	}
	sep := st.faint.Render(" │ ")
	for {
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = p.text
		}
		line := strings.Join(texts, sep)
		if len(parts) == 1 || lipgloss.Width(line) <= a.w {
			return line
		}
		low := 1
		for i := range parts {
			if parts[i].prio < parts[low].prio {
				low = i
			}
		}
		parts = slices.Delete(parts, low, low+1)
	}
}
