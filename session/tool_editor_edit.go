package session

import (
	"fmt"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/tether-dev/tether/sandbox"
)

func (e *editorRun) create(fileText *string) (ToolResult, error) {
	if fileText == nil {
		return ToolResult{}, fmt.Errorf(`file_editor: "file_text" is required for create: give the whole content of the new file`)
	}
	if int64(len(*fileText)) > e.maxFile() {
		return ToolResult{}, fmt.Errorf("file_editor: file_text is %d bytes, over the %d-byte limit", len(*fileText), e.maxFile())
	}
	kind, _, _, err := e.probe(false)
	if err != nil {
		return ToolResult{}, err
	}
	switch kind {
	case "file", "other":
		return ToolResult{}, fmt.Errorf("file_editor: file already exists at %s: cannot overwrite files using command `create`; edit it with `str_replace`, or remove it with the terminal first", e.path)
	case "dir":
		return ToolResult{}, fmt.Errorf("file_editor: %s is a directory: give the path of the new file inside it", e.path)
	}
	if err := e.sb.WriteFile(e.ctx, e.path, []byte(*fileText)); err != nil {
		return ToolResult{}, fmt.Errorf("file_editor: writing %s: %w", e.path, err)
	}
	e.t.push(e.path, fileVersion{existed: false})
	diff, _ := udiff.ToUnified("/dev/null", e.path, "", []udiff.Edit{{Start: 0, End: 0, New: *fileText}}, udiff.DefaultContextLines)
	return ToolResult{Content: "File created successfully at: " + e.path, Diff: diff}, nil
}

func (e *editorRun) strReplace(oldStr, newStr *string) (ToolResult, error) {
	if oldStr == nil || *oldStr == "" {
		return ToolResult{}, fmt.Errorf(`file_editor: "old_str" is required for str_replace and must not be empty: copy the exact text to replace from the file (use insert to add text without replacing any)`)
	}
	old, repl := *oldStr, ""
	if newStr != nil {
		repl = *newStr
	}
	if old == repl {
		return ToolResult{}, fmt.Errorf("file_editor: no replacement was performed: old_str and new_str are identical; give the changed text in new_str")
	}
	text, err := e.readText("edit")
	if err != nil {
		return ToolResult{}, err
	}
	n := strings.Count(text, old)
	if n == 0 && strings.Contains(text, "\r\n") && !strings.Contains(old, "\r") {
		// The file has Windows line endings the model did not reproduce.
		crOld := strings.ReplaceAll(old, "\n", "\r\n")
		if c := strings.Count(text, crOld); c > 0 {
			old, repl, n = crOld, strings.ReplaceAll(repl, "\n", "\r\n"), c
		}
	}
	switch {
	case n == 0:
		return ToolResult{}, fmt.Errorf("file_editor: no replacement was performed: old_str did not appear verbatim in %s. %s", e.path, notFoundHint(text, old))
	case n > 1:
		return ToolResult{}, fmt.Errorf("file_editor: no replacement was performed: old_str occurs %d times in %s, at lines %s; include more surrounding lines in old_str so that it matches exactly once", n, e.path, joinInts(occurrenceLines(text, old)))
	}
	i := strings.Index(text, old)
	edit := udiff.Edit{Start: i, End: i + len(old), New: repl}
	return e.apply(text, edit, "Review the changes and make sure they are as expected. Edit the file again if necessary.")
}

func (e *editorRun) insert(line *flexInt, newStr *string) (ToolResult, error) {
	if line == nil {
		return ToolResult{}, fmt.Errorf(`file_editor: "insert_line" is required for insert: the line number after which new_str goes (0 for the top of the file)`)
	}
	if newStr == nil || *newStr == "" {
		return ToolResult{}, fmt.Errorf(`file_editor: "new_str" is required for insert: the text to insert`)
	}
	text, err := e.readText("edit")
	if err != nil {
		return ToolResult{}, err
	}
	lines := splitLines(text)
	at := int(*line)
	if at < 0 || at > len(lines) {
		return ToolResult{}, fmt.Errorf("file_editor: invalid insert_line %d: it should be within [0, %d] (the number of lines of %s)", at, len(lines), e.path)
	}
	ins := *newStr
	if !strings.HasSuffix(ins, "\n") {
		ins += "\n"
	}
	off := lineOffset(text, at)
	if off == len(text) && text != "" && !strings.HasSuffix(text, "\n") {
		ins = "\n" + strings.TrimSuffix(ins, "\n") // after a last line without a newline
	}
	return e.apply(text, udiff.Edit{Start: off, End: off, New: ins},
		"Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary.")
}

// apply writes text with edit applied, records the old version and reports
// a snippet of the edited region and the diff.
func (e *editorRun) apply(text string, edit udiff.Edit, advice string) (ToolResult, error) {
	updated := text[:edit.Start] + edit.New + text[edit.End:]
	if int64(len(updated)) > e.maxFile() {
		return ToolResult{}, fmt.Errorf("file_editor: the edited file would be %d bytes, over the %d-byte limit; no change was made", len(updated), e.maxFile())
	}
	if err := e.sb.WriteFile(e.ctx, e.path, []byte(updated)); err != nil {
		return ToolResult{}, fmt.Errorf("file_editor: writing %s: %w; the file may be unchanged, view it to check", e.path, err)
	}
	e.t.push(e.path, fileVersion{existed: true, content: text})
	diff, _ := udiff.ToUnified(e.path, e.path, text, []udiff.Edit{edit}, udiff.DefaultContextLines)

	first := strings.Count(text[:edit.Start], "\n") + 1 // first edited line
	last := first + strings.Count(strings.TrimSuffix(edit.New, "\n"), "\n")
	lines := splitLines(updated)
	from := max(first-snippetLines, 1)
	to := min(last+snippetLines, len(lines))
	snippet := ""
	if from <= to {
		snippet = numbered(lines[from-1:to], from)
	}
	msg := fmt.Sprintf("The file %s has been edited. Here's the result of running `cat -n` on a snippet of %s:\n%s%s", e.path, e.path, snippet, advice)
	return ToolResult{Content: e.clip(modelSafe(msg)), Diff: diff}, nil
}

func (e *editorRun) undo() (ToolResult, error) {
	prev, ok := e.t.pop(e.path)
	if !ok {
		return ToolResult{}, fmt.Errorf("file_editor: no edit history found for %s: undo_edit only reverts edits made with this tool", e.path)
	}
	var current string
	if data, err := e.sb.ReadFile(e.ctx, e.path); err == nil {
		current = string(data)
	}
	if !prev.existed {
		res, err := e.sb.Exec(e.ctx, sandbox.ExecRequest{Command: "rm -f -- " + shellQuote(e.path)})
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("rm exited with code %d", res.ExitCode)
		}
		if err != nil {
			e.t.push(e.path, prev)
			return ToolResult{}, fmt.Errorf("file_editor: undoing the creation of %s: %w", e.path, err)
		}
		diff, _ := udiff.ToUnified(e.path, "/dev/null", current, []udiff.Edit{{Start: 0, End: len(current)}}, udiff.DefaultContextLines)
		return ToolResult{Content: fmt.Sprintf("Last edit to %s undone successfully: the file was created by that edit and has been removed.", e.path), Diff: diff}, nil
	}
	if err := e.sb.WriteFile(e.ctx, e.path, []byte(prev.content)); err != nil {
		e.t.push(e.path, prev)
		return ToolResult{}, fmt.Errorf("file_editor: undoing the last edit of %s: %w", e.path, err)
	}
	diff, _ := udiff.ToUnified(e.path, e.path, current, udiff.Lines(current, prev.content), udiff.DefaultContextLines)
	msg := fmt.Sprintf("Last edit to %s undone successfully. Here's the result of running `cat -n` on %s:\n%s", e.path, e.path, numbered(splitLines(prev.content), 1))
	return ToolResult{Content: e.clip(modelSafe(msg)), Diff: diff}, nil
}

// push records the version of path before an edit, keeping MaxHistory.
func (t *FileEditorTool) push(path string, v fileVersion) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.history == nil {
		t.history = map[string][]fileVersion{}
	}
	h := append(t.history[path], v)
	limit := orDefault(t.MaxHistory, DefaultEditorMaxHistory)
	if len(h) > limit {
		h = append([]fileVersion(nil), h[len(h)-limit:]...)
	}
	t.history[path] = h
}

func (t *FileEditorTool) pop(path string) (fileVersion, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.history[path]
	if len(h) == 0 {
		return fileVersion{}, false
	}
	v := h[len(h)-1]
	t.history[path] = h[:len(h)-1]
	return v, true
}

// lineOffset is the byte offset where line n+1 starts (n lines skipped).
func lineOffset(text string, n int) int {
	off := 0
	for ; n > 0; n-- {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return len(text)
		}
		off += i + 1
	}
	return off
}

// occurrenceLines lists the line numbers where each occurrence of s starts.
func occurrenceLines(text, s string) []int {
	var out []int
	line, pos := 1, 0
	for {
		i := strings.Index(text[pos:], s)
		if i < 0 {
			return out
		}
		line += strings.Count(text[pos:pos+i], "\n")
		out = append(out, line)
		line += strings.Count(s, "\n")
		pos += i + len(s)
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// notFoundHint guesses why old_str did not match, to save the model a turn.
func notFoundHint(text, old string) string {
	if t := strings.TrimSpace(old); t != old && t != "" && strings.Contains(text, t) {
		return "It matches if its leading/trailing whitespace or newlines are removed: copy the text exactly."
	}
	oldLines := splitLines(strings.Trim(old, "\n"))
	if len(oldLines) > 0 {
		fileLines := splitLines(text)
		for i := 0; i+len(oldLines) <= len(fileLines); i++ {
			match := true
			for j, ol := range oldLines {
				if strings.TrimSpace(fileLines[i+j]) != strings.TrimSpace(ol) {
					match = false
					break
				}
			}
			if match {
				return fmt.Sprintf("Ignoring indentation and trailing spaces it matches at line %d: view that part of the file and copy its whitespace exactly.", i+1)
			}
		}
	}
	return "Make sure it matches the file exactly, including whitespace and indentation: view the file to see its current content."
}
