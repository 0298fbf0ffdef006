package session

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// maxListed caps the entries of each kind (directories, files) a
// directory view asks the sandbox for.
const maxListed = 2000

// snippetLines is the context shown around an edit.
const snippetLines = 4

func (e *editorRun) view(viewRange []int) (ToolResult, error) {
	kind, size, rest, err := e.probe(true)
	if err != nil {
		return ToolResult{}, err
	}
	if kind == "dir" {
		if len(viewRange) > 0 {
			return ToolResult{}, fmt.Errorf("file_editor: view_range is not allowed when path %s is a directory; leave it out", e.path)
		}
		return ToolResult{Content: e.clip(e.listing(rest))}, nil
	}
	if kind == "file" && size > e.maxFile() {
		return ToolResult{}, fmt.Errorf("file_editor: %s is %d bytes, over the %d-byte limit: view parts of it with the terminal instead (e.g. `sed -n '1,100p' %s`, `grep -n PATTERN %s`)", e.path, size, e.maxFile(), e.path, e.path)
	}
	text, err := e.readChecked(kind, size, "view")
	if err != nil {
		return ToolResult{}, err
	}
	lines := splitLines(text)
	start, end := 1, len(lines)
	if len(viewRange) > 0 {
		if len(viewRange) != 2 {
			return ToolResult{}, fmt.Errorf("file_editor: view_range must have two numbers [start, end], got %v", viewRange)
		}
		start, end = viewRange[0], viewRange[1]
		if start < 1 || start > max(len(lines), 1) {
			return ToolResult{}, fmt.Errorf("file_editor: invalid view_range %v: its first element %d should be within the file's lines [1, %d]", viewRange, start, len(lines))
		}
		switch {
		case end == -1 || end > len(lines):
			end = len(lines)
		case end < start:
			return ToolResult{}, fmt.Errorf("file_editor: invalid view_range %v: its second element %d should not be less than the first %d (use -1 for the end of the file)", viewRange, end, start)
		}
	}
	if len(lines) == 0 {
		return ToolResult{Content: fmt.Sprintf("The file %s is empty.", e.path)}, nil
	}
	out := fmt.Sprintf("Here's the result of running `cat -n` on %s:\n%s", e.path, numbered(lines[start-1:end], start))
	return ToolResult{Content: e.clip(out)}, nil
}

// listing renders the directory entries the probe printed.
func (e *editorRun) listing(raw string) string {
	type entry struct {
		path string
		dir  bool
	}
	var entries []entry
	hidden, dirs := 0, 0
	for _, l := range strings.Split(raw, "\n") {
		if len(l) < 2 {
			continue
		}
		switch l[:2] {
		case "d ", "f ":
			rel := strings.TrimPrefix(l[2:], "./")
			entries = append(entries, entry{path: strings.TrimSuffix(e.path, "/") + "/" + rel, dir: l[0] == 'd'})
			if l[0] == 'd' {
				dirs++
			}
		case "h ":
			hidden, _ = strconv.Atoi(strings.TrimSpace(l[2:]))
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].path < entries[j].path })
	var b strings.Builder
	fmt.Fprintf(&b, "Here's the files and directories up to 2 levels deep in %s, excluding hidden items:\n", e.path)
	for _, en := range entries {
		b.WriteString(en.path)
		if en.dir {
			b.WriteString("/")
		}
		b.WriteString("\n")
	}
	if len(entries) == 0 {
		b.WriteString("(no visible files or directories)\n")
	}
	if dirs >= maxListed || len(entries)-dirs >= maxListed {
		fmt.Fprintf(&b, "\n(The listing stops at %d directories and %d files; use the terminal, e.g. `find %s -maxdepth 2 -name PATTERN`, to look further.)\n", maxListed, maxListed, e.path)
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "\n%d hidden files/directories in this directory are excluded. You can use 'ls -la %s' to see them.\n", hidden, e.path)
	}
	return modelSafe(strings.TrimRight(b.String(), "\n"))
}

// splitLines splits text into lines, without a phantom empty last line
// for a final newline.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// numbered renders lines `cat -n` style, the first being line number first.
func numbered(lines []string, first int) string {
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "%6d\t%s\n", first+i, l)
	}
	return b.String()
}

const clipNote = "<response clipped><NOTE>Due to the max output limit, only part of this output has been shown to you. " +
	"Use `grep -n` in the terminal to find the line numbers you need, then view them with view_range.</NOTE>"

// clip bounds text sent to the model.
func (e *editorRun) clip(s string) string {
	limit := e.maxOutput()
	if len(s) <= limit {
		return s
	}
	return string(trimRuneEnd([]byte(s[:limit]))) + "\n" + clipNote
}
