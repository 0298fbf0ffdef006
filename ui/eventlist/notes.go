package eventlist

import (
	"fmt"
	"strings"

	"github.com/tether-dev/tether/session"
)

// The one-line texts of notes (sandbox, usage, state) and the parts of a
// tool call's result worth showing: what the session says for the model
// is reworded or left out when the screen already shows it.

// onSandbox shows a sandbox's states on one line while nothing else comes
// between them ("creating → started"), rather than a line per state that
// repeats the provider and id.
func (m *Model) onSandbox(in *session.SandboxInfo) {
	if n := len(m.entries); n > 0 {
		last := m.entries[n-1]
		if last.kind == kindSandbox && !last.done && last.sbx != nil &&
			(in.ID == "" || last.sbx.ID == "" || in.ID == last.sbx.ID) {
			merged := mergeSandbox(*last.sbx, *in)
			last.sbx = &merged
			if in.State != "" && (len(last.sbxStates) == 0 || last.sbxStates[len(last.sbxStates)-1] != in.State) {
				last.sbxStates = append(last.sbxStates, in.State)
			}
			last.text.Reset()
			last.text.WriteString(sandboxText(last.sbx, last.sbxStates))
			last.changed()
			return
		}
	}
	e := m.push(kindSandbox)
	info := *in
	e.sbx = &info
	if in.State != "" {
		e.sbxStates = []string{in.State}
	}
	e.text.WriteString(sandboxText(e.sbx, e.sbxStates))
	// Not done yet: the next state of the same sandbox joins this line.
}

// mergeSandbox keeps what an earlier event said that a later one leaves out.
func mergeSandbox(old, in session.SandboxInfo) session.SandboxInfo {
	if in.ID == "" {
		in.ID = old.ID
	}
	if in.Provider == "" {
		in.Provider = old.Provider
	}
	if in.Image == "" {
		in.Image = old.Image
	}
	if in.Isolation == "" {
		in.Isolation = old.Isolation
	}
	return in
}

// resultBody is what a call's result adds below it when nothing streamed:
// not the notes the terminal adds for the model (Observation.Output leaves
// them out), and not a finish message its title already shows in full.
func resultBody(e *entry, o *session.Observation) string {
	c := o.Content
	tool := o.Tool
	if e.act != nil {
		tool = e.act.Tool
	}
	switch tool {
	case "terminal":
		// The badge shows the exit code, an interruption or a timeout, and
		// the state line the cancel: only what the command printed stays.
		c = o.Output
	case "finish":
		if e.act != nil && e.act.Summary == "finish: "+strings.TrimSpace(c) {
			return ""
		}
	}
	if strings.TrimSpace(c) == "" {
		return ""
	}
	return c
}

func usageText(u *session.Usage) string {
	s := fmt.Sprintf("tokens %d in / %d out (total %d / %d)", u.PromptTokens, u.CompletionTokens, u.TotalPromptTokens, u.TotalCompletionTokens)
	if u.CostKnown {
		s += fmt.Sprintf(" · $%.4f (total $%.4f)", u.CostUSD, u.TotalCostUSD)
	} else {
		s += " · cost unknown"
	}
	return s
}

func sandboxText(in *session.SandboxInfo, states []string) string {
	head := "sandbox"
	if in.ID != "" {
		head += " " + in.ID
	}
	parts := []string{head}
	if in.Provider != "" {
		parts = append(parts, in.Provider)
	}
	if len(states) > 0 {
		parts = append(parts, strings.Join(states, " → "))
	}
	if in.Image != "" {
		parts = append(parts, in.Image)
	}
	if in.Isolation != "" {
		parts = append(parts, "isolation "+in.Isolation)
	}
	return strings.Join(parts, " · ")
}

// withTool puts the tool's name before its summary unless the summary
// already starts with it ("finish: done", not "finish finish: done").
func withTool(tool, desc string) string {
	switch {
	case desc == "" || desc == tool:
		return tool
	case strings.HasPrefix(desc, tool+":") || strings.HasPrefix(desc, tool+" "):
		return desc
	}
	return tool + " " + desc
}

// rejectReason is the user's own words from a rejection's result, which
// the session wraps in a note to the model.
func rejectReason(content string) string {
	c := strings.TrimSpace(content)
	if strings.HasPrefix(c, "The user rejected this action without giving a reason") {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(c, "The user rejected this action. Reason: "))
}

// stateLine is a state change in the words a user would use ("working",
// "done", "waiting for your approval"), not the engine's "finished →
// running"; "" for a change not worth a line: leaving an approval, which
// the tool call's own line shows (approved, rejected, edited).
func stateLine(from, to session.State) string {
	switch to {
	case session.StateRunning:
		switch from {
		case session.StateWaiting:
			return ""
		case session.StatePaused:
			return "resumed"
		}
		return "working"
	case session.StateWaiting:
		return "waiting for your approval"
	case session.StatePaused:
		return "paused"
	case session.StateFinished:
		return "done"
	case session.StateCancelled:
		return "cancelled"
	case session.StateError:
		return "stopped"
	case session.StateStuck:
		return "stopped: stuck"
	case session.StateIdle:
		return "idle"
	}
	return string(to)
}
