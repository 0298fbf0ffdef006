package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// boxLines frames lines in a small centred dialog no larger than the screen.
func (a *model) boxLines(title string, body []string, w, h int) []string {
	bw := 0
	for _, l := range body {
		bw = max(bw, lipgloss.Width(l))
	}
	bw = min(max(bw+4, len(title)+6, 30), w)
	bh := min(len(body)+2, h)
	padded := make([]string, len(body))
	for i, l := range body {
		padded[i] = " " + l
	}
	return a.frame(title, padded, bw, bh, true)
}

func (a *model) confirmBox(w, h int) []string {
	body := []string{
		"A run is still going.",
		"Quit anyway? It is cancelled and the sandbox deleted.",
		"",
		a.st.bold.Render("y") + " quit   " + a.st.bold.Render("n") + " stay",
	}
	return a.boxLines("quit?", body, w, h)
}

func (a *model) teardownBox(w, h int) []string {
	body := make([]string, 0, len(a.quit.log)+1)
	for i, l := range a.quit.log {
		prefix := "  "
		if i == len(a.quit.log)-1 && !a.quit.finished {
			prefix = strings.TrimSpace(a.spin.View()) + " "
		}
		if strings.HasPrefix(l, "shutdown failed") {
			l = a.st.errorText.Render(l)
		}
		body = append(body, prefix+l)
	}
	// The latest lines matter most when the screen is short.
	if max(h-2, 0) < len(body) {
		body = body[len(body)-max(h-2, 0):]
	}
	return a.boxLines("shutting down", body, w, h)
}

// helpBox is the full help: bubbles' full view, with the key groups packed
// into as many rows as the width needs so that no group is dropped.
func (a *model) helpBox(w, h int) []string {
	hm := a.help
	hm.ShowAll = true
	hm.SetWidth(0)
	avail := max(w-4, 10)
	var body []string
	groups := a.fullHelp()
	for start := 0; start < len(groups); {
		end := start + 1
		for end < len(groups) && lipgloss.Width(hm.FullHelpView(groups[start:end+1])) <= avail {
			end++
		}
		if len(body) > 0 {
			body = append(body, "")
		}
		body = append(body, strings.Split(hm.FullHelpView(groups[start:end]), "\n")...)
		start = end
	}
	// How to close it is in the title: on a small screen the end of the
	// body is cut off.
	return a.boxLines("keys · esc or ? closes", body, w, h)
}
