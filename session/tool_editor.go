package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// Defaults of FileEditorTool.
const (
	DefaultEditorMaxFile    = 10 << 20
	DefaultEditorMaxOutput  = 16000
	DefaultEditorMaxHistory = 10
)

// FileEditorTool is the "file_editor" tool (OpenHands' str_replace editor):
// view files and directories, create files, replace a unique string,
// insert lines, and undo its own edits. Files are read and written through
// the sandbox. Set the exported fields before the first Run; zero means the
// default.
type FileEditorTool struct {
	MaxFile    int64 // larger files are refused; default 10 MB
	MaxOutput  int   // bytes of output sent to the model; default 16,000
	MaxHistory int   // versions kept per file for undo_edit; default 10

	mu      sync.Mutex
	history map[string][]fileVersion
}

// fileVersion is a file as it was before one edit.
type fileVersion struct {
	existed bool
	content string
}

// NewFileEditorTool returns a "file_editor" tool with an empty undo history.
func NewFileEditorTool() Tool { return &FileEditorTool{} }

const fileEditorDescription = `Custom editing tool for viewing, creating and editing files in plain-text format.
* State is persistent across command calls and discussions with the user.
* If ` + "`path`" + ` is a text file, ` + "`view`" + ` displays the result of applying ` + "`cat -n`" + `. If ` + "`path`" + ` is a directory, ` + "`view`" + ` lists non-hidden files and directories up to 2 levels deep.
* The ` + "`create`" + ` command cannot be used if the specified ` + "`path`" + ` already exists as a file.
* If a ` + "`command`" + ` generates a long output, it will be truncated and marked with ` + "`<response clipped>`" + `.
* The ` + "`undo_edit`" + ` command will revert the last edit made to the file at ` + "`path`" + ` (up to 10 edits per file).
* Binary files and files over 10 MB cannot be viewed or edited with this tool; use the terminal.

Before using this tool:
1. Use the view command to understand the file's contents and context.
2. Verify the directory path is correct (only applicable when creating new files).

When making edits:
- Ensure the edit results in idiomatic, correct code.
- Do not leave the code in a broken state.
- Prefer absolute file paths (starting with /); a relative path is taken from the terminal's current directory.

CRITICAL REQUIREMENTS FOR USING THIS TOOL:
1. EXACT MATCHING: The ` + "`old_str`" + ` parameter must match EXACTLY one or more consecutive lines from the file, including all whitespace and indentation.
2. UNIQUENESS: The ` + "`old_str`" + ` must uniquely identify a single instance in the file: include enough context (typically 3-5 lines before and after the change point).
3. REPLACEMENT: The ` + "`new_str`" + ` parameter should contain the edited lines that replace the ` + "`old_str`" + `. Both strings must be different.

Remember: when making multiple file edits in a row to the same file, make each edit separately and check the result of each.`

const fileEditorSchema = `{
  "type": "object",
  "properties": {
    "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert", "undo_edit"], "description": "The command to run. Allowed options are: ` + "`view`, `create`, `str_replace`, `insert`, `undo_edit`" + `."},
    "path": {"type": "string", "description": "Absolute path to file or directory, e.g. ` + "`/workspace/file.py`" + ` or ` + "`/workspace`" + `."},
    "file_text": {"type": "string", "description": "Required parameter of ` + "`create`" + ` command, with the content of the file to be created."},
    "old_str": {"type": "string", "description": "Required parameter of ` + "`str_replace`" + ` command containing the string in ` + "`path`" + ` to replace."},
    "new_str": {"type": "string", "description": "Optional parameter of ` + "`str_replace`" + ` command containing the new string (if not given, no string will be added). Required parameter of ` + "`insert`" + ` command containing the string to insert."},
    "insert_line": {"type": "integer", "description": "Required parameter of ` + "`insert`" + ` command. The ` + "`new_str`" + ` will be inserted AFTER the line ` + "`insert_line`" + ` of ` + "`path`" + ` (0 inserts at the top)."},
    "view_range": {"type": "array", "items": {"type": "integer"}, "description": "Optional parameter of ` + "`view`" + ` command when ` + "`path`" + ` points to a file. If none is given, the full file is shown. If provided, the file will be shown in the indicated line number range, e.g. [11, 12] will show lines 11 and 12. Indexing at 1 to start. Setting ` + "`[start_line, -1]`" + ` shows all lines from ` + "`start_line`" + ` to the end of the file."}
  },
  "required": ["command", "path"]
}`

// Definition implements Tool.
func (t *FileEditorTool) Definition() llm.Tool {
	return llm.Tool{Name: ToolFileEditor, Description: fileEditorDescription, Parameters: json.RawMessage(fileEditorSchema)}
}

type editorArgs struct {
	Command    string     `json:"command"`
	Path       string     `json:"path"`
	FileText   *string    `json:"file_text"`
	OldStr     *string    `json:"old_str"`
	NewStr     *string    `json:"new_str"`
	InsertLine *flexInt   `json:"insert_line"`
	ViewRange  flexIntArr `json:"view_range"`
}

// flexIntArr is a list of integers that also accepts the list as a JSON
// string ("[1, 20]"), which models sometimes send.
type flexIntArr []int

func (f *flexIntArr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	if string(b) == "null" || len(b) == 0 {
		*f = nil
		return nil
	}
	var raw []flexInt
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("view_range must be a list of two line numbers such as [1, 50]")
	}
	*f = make(flexIntArr, len(raw))
	for i, v := range raw {
		(*f)[i] = int(v)
	}
	return nil
}

const editorExample = `{"command": "view", "path": "/workspace/main.py"}`

// Run implements Tool.
func (t *FileEditorTool) Run(ctx context.Context, call ToolCall) (ToolResult, error) {
	var a editorArgs
	if err := decodeArgs(ToolFileEditor, call.Args, &a, editorExample); err != nil {
		return ToolResult{}, err
	}
	if call.Sandbox == nil {
		return ToolResult{}, errors.New("file_editor: no sandbox to work in")
	}
	switch a.Command {
	case "view", "create", "str_replace", "insert", "undo_edit":
	case "":
		return ToolResult{}, fmt.Errorf(`file_editor: "command" is required: one of view, create, str_replace, insert, undo_edit, e.g. %s`, editorExample)
	default:
		return ToolResult{}, fmt.Errorf("file_editor: unknown command %q: use one of view, create, str_replace, insert, undo_edit", a.Command)
	}
	base := call.Cwd
	if base == "" {
		base = call.Sandbox.WorkDir()
	}
	p, err := checkPath(a.Path, base)
	if err != nil {
		return ToolResult{}, err
	}
	e := editorRun{t: t, ctx: ctx, sb: call.Sandbox, path: p}
	switch a.Command {
	case "view":
		return e.view(a.ViewRange)
	case "create":
		return e.create(a.FileText)
	case "str_replace":
		return e.strReplace(a.OldStr, a.NewStr)
	case "insert":
		return e.insert(a.InsertLine, a.NewStr)
	default:
		return e.undo()
	}
}

// checkPath cleans the path, resolving a relative one against dir (the
// shell's working directory), as the shell would.
func checkPath(p, dir string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", errors.New(`file_editor: "path" is required: give a path such as ` + path.Join(dir, "main.py"))
	}
	if !path.IsAbs(p) {
		if dir == "" {
			return "", fmt.Errorf("file_editor: the path %q is relative and the sandbox has no working directory: give an absolute path (starting with /)", p)
		}
		p = path.Join(dir, p)
	}
	return path.Clean(p), nil
}

// editorRun is one call's context.
type editorRun struct {
	t    *FileEditorTool
	ctx  context.Context
	sb   sandbox.Sandbox
	path string
}

func (e *editorRun) maxFile() int64 {
	if e.t.MaxFile > 0 {
		return e.t.MaxFile
	}
	return DefaultEditorMaxFile
}

func (e *editorRun) maxOutput() int {
	if e.t.MaxOutput > 0 {
		return e.t.MaxOutput
	}
	return DefaultEditorMaxOutput
}

// probe says what is at the path: "file" (with its size), "dir", "other"
// or "missing". With listing, a directory's listing follows (see view).
func (e *editorRun) probe(listing bool) (kind string, size int64, rest string, err error) {
	q := shellQuote(e.path)
	script := "p=" + q + `
if [ -d "$p" ]; then echo dir
elif [ -f "$p" ]; then echo file; wc -c < "$p"
elif [ -e "$p" ]; then echo other
else echo missing; fi`
	if listing {
		script += "\n" + `[ -d "$p" ] && cd -- "$p" && {
  find . -mindepth 1 -maxdepth 2 -not -path '*/.*' -type d 2>/dev/null | head -n ` + strconv.Itoa(maxListed) + ` | sed 's/^/d /'
  find . -mindepth 1 -maxdepth 2 -not -path '*/.*' ! -type d 2>/dev/null | head -n ` + strconv.Itoa(maxListed) + ` | sed 's/^/f /'
  echo "h $(find . -mindepth 1 -maxdepth 1 -name '.*' 2>/dev/null | wc -l)"
}`
	}
	var out bytes.Buffer
	res, err := e.sb.Exec(e.ctx, sandbox.ExecRequest{Command: script, Stdout: &out})
	if err != nil {
		return "", 0, "", fmt.Errorf("file_editor: checking %s in the sandbox: %w", e.path, err)
	}
	if res.TimedOut || res.Cancelled {
		return "", 0, "", fmt.Errorf("file_editor: checking %s in the sandbox was interrupted", e.path)
	}
	kind, after, _ := strings.Cut(out.String(), "\n")
	switch kind {
	case "file":
		num, more, _ := strings.Cut(after, "\n")
		size, err = strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return "", 0, "", fmt.Errorf("file_editor: could not read the size of %s (got %q)", e.path, num)
		}
		return kind, size, more, nil
	case "dir", "other", "missing":
		return kind, 0, after, nil
	}
	return "", 0, "", fmt.Errorf("file_editor: unexpected answer checking %s: %q (exit code %d)", e.path, out.String(), res.ExitCode)
}

// readText reads the file at e.path, which must be an existing text file
// within the size limit. verb is what the caller wanted to do, for errors.
func (e *editorRun) readText(verb string) (string, error) {
	kind, size, _, err := e.probe(false)
	if err != nil {
		return "", err
	}
	return e.readChecked(kind, size, verb)
}

// readChecked is readText once the path has been probed.
func (e *editorRun) readChecked(kind string, size int64, verb string) (string, error) {
	switch kind {
	case "missing":
		return "", fmt.Errorf("file_editor: the path %s does not exist; check it with `view` on its directory, or use `create` to make a new file", e.path)
	case "dir":
		return "", fmt.Errorf("file_editor: %s is a directory: cannot %s it; give a file path", e.path, verb)
	case "other":
		return "", fmt.Errorf("file_editor: %s is not a regular file: cannot %s it", e.path, verb)
	}
	if size > e.maxFile() {
		return "", fmt.Errorf("file_editor: %s is %d bytes, over the %d-byte limit: cannot %s it here; use the terminal (e.g. `grep -n`, `sed -n '1,100p'`, `sed -i`)", e.path, size, e.maxFile(), verb)
	}
	data, err := e.sb.ReadFile(e.ctx, e.path)
	if err != nil {
		return "", fmt.Errorf("file_editor: reading %s: %w", e.path, err)
	}
	if isBinary(data) {
		return "", fmt.Errorf("file_editor: %s appears to be a binary file (it has NUL bytes or is not valid UTF-8): cannot %s it with this tool; use the terminal (e.g. `file`, `xxd | head`)", e.path, verb)
	}
	return string(data), nil
}

func isBinary(data []byte) bool {
	return bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data)
}

// Describe implements Describer.
func (t *FileEditorTool) Describe(args json.RawMessage) (command, summary string) {
	var a editorArgs
	if json.Unmarshal(args, &a) != nil || a.Command == "" {
		return "", "file_editor"
	}
	s := a.Command + " " + a.Path
	switch {
	case a.Command == "view" && len(a.ViewRange) == 2:
		s += fmt.Sprintf(" [%d, %d]", a.ViewRange[0], a.ViewRange[1])
	case a.Command == "insert" && a.InsertLine != nil:
		s = fmt.Sprintf("insert %s after line %d", a.Path, int(*a.InsertLine))
	}
	return "", strings.TrimSpace(s)
}
