package e2e

import (
	"regexp"
	"strings"
)

// readmeCmd is one command README.md shows: a line of a ```sh block, or an
// inline code span that starts like a command.
type readmeCmd struct {
	text    string // exactly as written
	line    int    // in README.md
	section string // the ## heading it is under
	block   bool   // in a ```sh block
}

// inlineCmd matches an inline code span that is a command line.
var inlineCmd = regexp.MustCompile("`((?:tether|go|apt-get) [^`]*|bench/[^`]*)`")

// placeholder is a word standing for something the reader supplies
// (PROMPT, FILE.jsonl, ID, N) or a choice (a|b, [--flag]).
var placeholder = regexp.MustCompile(`(^|[\s=])([A-Z][A-Z_]*[A-Z]|[A-Z])(\.[a-z]+)?(\s|$)|\||\[|…`)

// readmeCommands extracts every command README.md shows, in order.
func readmeCommands(readme string) []readmeCmd {
	var out []readmeCmd
	fence, section := "", ""
	for i, line := range strings.Split(readme, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```") && fence == "":
			fence = strings.TrimPrefix(trimmed, "```")
			if fence == "" {
				fence = "text"
			}
			continue
		case strings.HasPrefix(trimmed, "```"):
			fence = ""
			continue
		case fence == "sh":
			if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
				out = append(out, readmeCmd{text: trimmed, line: i + 1, section: section, block: true})
			}
			continue
		case fence != "":
			continue // go, text: not shell
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		}
		for _, m := range inlineCmd.FindAllStringSubmatch(line, -1) {
			out = append(out, readmeCmd{text: strings.ReplaceAll(m[1], `\|`, "|"), line: i + 1, section: section})
		}
	}
	return out
}

// isSynopsis reports whether c is a form with placeholders rather than a
// command to run as it stands.
func (c readmeCmd) isSynopsis() bool { return !c.block && placeholder.MatchString(c.text) }

// helpPath is the command path a synopsis documents: its words up to the
// first flag, placeholder or choice (`tether suite run [--tui] FILE` is
// `tether suite run`).
func (c readmeCmd) helpPath() []string {
	var path []string
	for _, w := range strings.Fields(c.text)[1:] {
		if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[") || placeholder.MatchString(" "+w+" ") || strings.ContainsAny(w, "|,") {
			break
		}
		path = append(path, w)
	}
	return path
}

// program is the command's words with leading VAR=value assignments and
// a trailing comment removed.
func (c readmeCmd) program() []string {
	words := strings.Fields(c.text)
	for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
		words = words[1:]
	}
	for i, w := range words {
		if strings.HasPrefix(w, "#") {
			return words[:i]
		}
	}
	return words
}

// startsTUI reports whether the command opens the terminal UI: `go run .`
// or `tether` with flags only.
func (c readmeCmd) startsTUI() bool {
	p := c.program()
	switch {
	case len(p) == 3 && p[0] == "go" && p[1] == "run" && p[2] == ".":
		return true
	case len(p) >= 1 && p[0] == "tether":
		for _, w := range p[1:] {
			if !strings.HasPrefix(w, "-") {
				return false
			}
		}
		return !strings.Contains(c.text, "--help") && !strings.Contains(c.text, "--version")
	}
	return false
}
