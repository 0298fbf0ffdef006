package suite

import (
	"strings"
	"unicode/utf8"

	"github.com/tether-dev/tether/internal/termsafe"
)

// sanitize makes text that came out of a sandbox (command output, file
// content, the agent's messages) safe to print on a terminal or put in a
// report: escape sequences and control characters are made inert and
// visible, so a malicious or broken program cannot move the cursor,
// retitle the window or hide lines.
func sanitize(s string) string { return termsafe.Sanitize(s) }

// oneLine sanitises s, folds it to one line and cuts it to at most max
// runes (with an ellipsis).
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(sanitize(s)), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max < 1 {
		return ""
	}
	return string([]rune(s)[:max-1]) + "…"
}

// tail keeps the last max bytes of s, cut at a rune boundary, for error
// messages quoting long output.
func tail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[len(s)-max:]
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return "…" + s
}
