package ui

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/tether-dev/tether/internal/termsafe"
)

// approvalBody is the panel's content for width w (without the frame).
func (a *model) approvalBody(w int) []string {
	p := &a.approval
	act := p.action
	st := a.st
	var out []string
	safe := termsafe.SanitizeLine
	head := st.bold.Render(safe(act.Tool))
	// A summary that is the command (or its start, cut with "…") is
	// not worth a second copy above the command itself.
	sumIsCommand := act.Command != "" && (strings.Contains(act.Summary, act.Command) ||
		strings.HasPrefix(strings.TrimSpace(act.Command), strings.TrimSuffix(act.Summary, "…")))
	if act.Summary != "" && !sumIsCommand {
		// "finish: done" after "finish" would say the tool's name twice.
		sum := strings.TrimSpace(strings.TrimPrefix(act.Summary, act.Tool+":"))
		if sum != "" && sum != act.Tool {
			head += "  " + safe(sum)
		}
	}
	out = append(out, head)
	switch p.mode {
	case approvalReason:
		if act.Command != "" {
			out = append(out, "$ "+safe(act.Command))
		}
		out = append(out, p.reason.View())
		return out
	case approvalEdit:
		what := "edit the arguments (JSON)"
		if p.commandOnly {
			what = "edit the command"
		}
		out = append(out, st.faint.Render(what+" — enter/ctrl+s runs it, shift+enter new line, esc back"))
		out = append(out, strings.Split(p.editor.View(), "\n")...)
		if p.err != "" {
			out = append(out, st.errorText.Render(p.err))
		}
		return out
	}
	if act.Command != "" {
		out = append(out, wrapText("$ "+safe(act.Command), w)...)
	}
	if act.Command != "" {
		if rest, ok := otherArgs(act.Args); ok {
			if rest != "" {
				out = append(out, st.faint.Render(safe(rest)))
			}
			return out
		}
	}
	args := strings.Split(p.pretty, "\n")
	scroll := min(p.scroll, max(len(args)-1, 0))
	for _, l := range args[scroll:] {
		out = append(out, st.faint.Render(safe(l)))
	}
	return out
}

func (a *model) approvalFooter() string {
	st := a.st
	if a.focus != focusApproval {
		return st.approvalTitle.Render("ctrl+a") + " (or tab) to review · typing in the prompt never answers it"
	}
	if a.approval.mode != approvalView {
		return ""
	}
	k := func(s string) string { return st.approvalTitle.Render(s) }
	return k("y") + " approve  " + k("n") + " reject…  " + k("e") + " edit  " + k("a") + " approve all  " + k("esc") + " back"
}

// approvalWant is the height the panel would like, frame included.
func (a *model) approvalWant(w int) int {
	return len(a.approvalBody(max(w-3, 1))) + 3
}

func (a *model) approvalView(w, h int) []string {
	body := a.approvalBody(max(w-3, 1))
	for i := range body {
		body[i] = " " + body[i]
	}
	footer := a.approvalFooter()
	inner := max(h-2, 0)
	if footer != "" && inner > 1 {
		body = append(fitLines(body, max(w-2, 1), inner-1), " "+footer)
	}
	title := "⚠ approval needed"
	if a.focus == focusApproval && !a.inactive {
		title += " (focused)"
	}
	if h < 3 {
		return fitLines([]string{a.st.approvalTitle.Render(title) + "  " + footer}, w, h)
	}
	return a.frameWith(title, body, w, h, a.focus == focusApproval && !a.inactive, true)
}

// otherArgs lists a terminal call's arguments besides the command on one
// line ("timeout=30"), when they are all short scalars; ok is false when
// the full JSON should be shown instead.
func otherArgs(raw json.RawMessage) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return "", false
	}
	if _, ok := obj["command"]; !ok {
		return "", false
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if k == "command" {
			continue
		}
		v := unescapeHTML(string(obj[k]))
		if len(v) > 40 || strings.ContainsAny(v, "{[\n") {
			return "", false
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "  "), true
}
