package session

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

func ttEdit(t *testing.T, tool Tool, sb sandbox.Sandbox, args map[string]any) (ToolResult, error) {
	t.Helper()
	res, _, _, err := ttRun(t, tool, sb, "e", args)
	return res, err
}

func ttWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ttRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ttErrContains(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error containing %q", wants)
	}
	ttContains(t, err.Error(), wants...)
}

func TestEditorViewFile(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	p := filepath.Join(sb.WorkDir(), "a.txt")
	ttWrite(t, p, "one\ntwo\nthree\nfour\n")

	res := ttMust(t, tool, sb, map[string]any{"command": "view", "path": p})
	want := "Here's the result of running `cat -n` on " + p + ":\n     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour\n"
	if res.Content != want {
		t.Fatalf("view:\n%q\nwant\n%q", res.Content, want)
	}
	res = ttMust(t, tool, sb, map[string]any{"command": "view", "path": p, "view_range": []int{2, 3}})
	if !strings.HasSuffix(res.Content, ":\n     2\ttwo\n     3\tthree\n") {
		t.Fatalf("view [2,3]: %q", res.Content)
	}
	for _, r := range []string{`[3, -1]`, `[3, 99]`, `"[3, -1]"`} {
		res = ttMust(t, tool, sb, `{"command": "view", "path": "`+p+`", "view_range": `+r+`}`)
		if !strings.HasSuffix(res.Content, ":\n     3\tthree\n     4\tfour\n") {
			t.Fatalf("view %s: %q", r, res.Content)
		}
	}
	for _, r := range [][]int{{0, 2}, {5, 6}, {3, 2}, {1}} {
		_, err := ttEdit(t, tool, sb, map[string]any{"command": "view", "path": p, "view_range": r})
		ttErrContains(t, err, "view_range")
	}
	// No trailing newline, and an empty file.
	ttWrite(t, p, "x\ny")
	res = ttMust(t, tool, sb, map[string]any{"command": "view", "path": p})
	if !strings.HasSuffix(res.Content, "     1\tx\n     2\ty\n") {
		t.Fatalf("no final newline: %q", res.Content)
	}
	ttWrite(t, p, "")
	res = ttMust(t, tool, sb, map[string]any{"command": "view", "path": p})
	ttContains(t, res.Content, "is empty")
}

func TestEditorViewDirectory(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	w := sb.WorkDir()
	ttWrite(t, filepath.Join(w, "top.go"), "package x\n")
	ttWrite(t, filepath.Join(w, "pkg", "mid.go"), "")
	ttWrite(t, filepath.Join(w, "pkg", "deep", "deeper.go"), "")
	ttWrite(t, filepath.Join(w, ".git", "config"), "")
	ttWrite(t, filepath.Join(w, "pkg", ".hidden"), "")
	ttWrite(t, filepath.Join(w, ".env"), "")

	res := ttMust(t, tool, sb, map[string]any{"command": "view", "path": w + "/"})
	ttContains(t, res.Content, "up to 2 levels deep in "+w, w+"/top.go\n", w+"/pkg/\n", w+"/pkg/mid.go\n", w+"/pkg/deep/",
		"2 hidden files/directories in this directory are excluded")
	for _, bad := range []string{"deeper.go", ".git", ".hidden", ".env\n"} {
		if strings.Contains(res.Content, bad) {
			t.Fatalf("listing shows %q:\n%s", bad, res.Content)
		}
	}
	_, err := ttEdit(t, tool, sb, map[string]any{"command": "view", "path": w, "view_range": []int{1, 2}})
	ttErrContains(t, err, "directory")
}

func TestEditorViewRefusals(t *testing.T) {
	sb := ttSandbox(t)
	tool := &FileEditorTool{MaxFile: 1000, MaxOutput: 200}
	w := sb.WorkDir()
	_, err := ttEdit(t, tool, sb, map[string]any{"command": "view", "path": w + "/nope.txt"})
	ttErrContains(t, err, "does not exist")
	ttWrite(t, w+"/bin", "ab\x00cd")
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "view", "path": w + "/bin"})
	ttErrContains(t, err, "binary")
	ttWrite(t, w+"/latin1", "caf\xe9\n")
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": w + "/latin1", "old_str": "caf", "new_str": "x"})
	ttErrContains(t, err, "binary")
	ttWrite(t, w+"/big", strings.Repeat("x", 1001))
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "view", "path": w + "/big"})
	ttErrContains(t, err, "1001 bytes", "limit")
	ttWrite(t, w+"/long", strings.Repeat("line\n", 150))
	res := ttMust(t, tool, sb, map[string]any{"command": "view", "path": w + "/long"})
	ttContains(t, res.Content, "<response clipped>")
	if len(res.Content) > 200+len(clipNote)+1 {
		t.Fatalf("clipped view is %d bytes", len(res.Content))
	}
	// A relative path is the work dir's, as in a fresh shell.
	res = ttMust(t, tool, sb, map[string]any{"command": "view", "path": "long"})
	ttContains(t, res.Content, "<response clipped>")
}

// A relative path means what it means to the shell the model just used:
// after `cd sub`, "x.txt" is sub/x.txt.
func TestEditorRelativePathFollowsTheShell(t *testing.T) {
	sb := ttSandbox(t)
	w := sb.WorkDir()
	if err := os.MkdirAll(filepath.Join(w, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal(map[string]any{"command": "create", "path": "x.txt", "file_text": "hi\n"})
	_, err := NewFileEditorTool().Run(context.Background(), ToolCall{ID: "e", Args: args, Sandbox: sb,
		Stdout: io.Discard, Stderr: io.Discard, Cwd: w + "/sub"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(w, "sub", "x.txt")); err != nil || string(b) != "hi\n" {
		t.Fatalf("sub/x.txt: %q, %v; want the file created in the shell's directory", b, err)
	}
}

func TestEditorCreate(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	p := sb.WorkDir() + "/new/dir/hello.py"
	res := ttMust(t, tool, sb, map[string]any{"command": "create", "path": p, "file_text": "print('hi')\n"})
	ttContains(t, res.Content, "File created successfully at: "+p)
	ttContains(t, res.Diff, "+++ "+p, "+print('hi')")
	if got := ttRead(t, p); got != "print('hi')\n" {
		t.Fatalf("content %q", got)
	}
	_, err := ttEdit(t, tool, sb, map[string]any{"command": "create", "path": p, "file_text": "again"})
	ttErrContains(t, err, "already exists", "str_replace")
	if got := ttRead(t, p); got != "print('hi')\n" {
		t.Fatalf("create overwrote: %q", got)
	}
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "create", "path": sb.WorkDir() + "/x"})
	ttErrContains(t, err, "file_text")
	// Empty files may be created.
	ttMust(t, tool, sb, map[string]any{"command": "create", "path": sb.WorkDir() + "/empty", "file_text": ""})
	// Undoing a create removes the file.
	res = ttMust(t, tool, sb, map[string]any{"command": "undo_edit", "path": p})
	ttContains(t, res.Content, "removed")
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file still there after undoing its creation: %v", err)
	}
}

func TestEditorStrReplace(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	p := sb.WorkDir() + "/app.py"
	var lines []string
	for i := 1; i <= 20; i++ {
		lines = append(lines, "line"+strconv.Itoa(i))
	}
	orig := strings.Join(lines, "\n") + "\n    def f():\n        return 1\n"
	ttWrite(t, p, orig)

	res := ttMust(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "line10\n", "new_str": "ten\nTEN\n"})
	ttContains(t, res.Content, "has been edited", "     6\tline6\n", "    10\tten\n    11\tTEN\n", "    15\tline14\n", "Review the changes")
	if strings.Contains(res.Content, "line5\n") || strings.Contains(res.Content, "line15") {
		t.Fatalf("snippet too wide:\n%s", res.Content)
	}
	ttContains(t, res.Diff, "--- "+p, "-line10\n", "+ten\n", "+TEN\n", " line9\n")
	want := strings.Replace(orig, "line10\n", "ten\nTEN\n", 1)
	if got := ttRead(t, p); got != want {
		t.Fatalf("file after str_replace:\n%s", got)
	}

	// Not found, with hints.
	_, err := ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "def f():\n    return 1", "new_str": "x"})
	ttErrContains(t, err, "did not appear verbatim", "indentation", "line 22")
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "nothing like it", "new_str": "x"})
	ttErrContains(t, err, "did not appear verbatim", "whitespace")
	// Several occurrences: line numbers listed, file untouched.
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "line1", "new_str": "x"})
	ttErrContains(t, err, "occurs 10 times", "lines 1, 12, 13,", " 20;")
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "ten", "new_str": "ten"})
	ttErrContains(t, err, "identical")
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": ""})
	ttErrContains(t, err, "old_str")
	if got := ttRead(t, p); got != want {
		t.Fatal("a failed str_replace changed the file")
	}
	// Deletion (no new_str).
	ttMust(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "TEN\n"})
	if got := ttRead(t, p); got != strings.Replace(orig, "line10\n", "ten\n", 1) {
		t.Fatalf("after deletion:\n%s", got)
	}
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "str_replace", "path": sb.WorkDir() + "/missing.py", "old_str": "a"})
	ttErrContains(t, err, "does not exist")
}

func TestEditorStrReplaceCRLF(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	p := sb.WorkDir() + "/win.txt"
	ttWrite(t, p, "a\r\nb\r\nc\r\n")
	ttMust(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "a\nb", "new_str": "A\nB"})
	if got := ttRead(t, p); got != "A\r\nB\r\nc\r\n" {
		t.Fatalf("CRLF file after edit: %q", got)
	}
}

func TestEditorInsert(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	p := sb.WorkDir() + "/f.txt"
	ttWrite(t, p, "a\nb\nc\n")
	for _, tc := range []struct {
		line any
		text string
		want string
	}{
		{0, "top", "top\na\nb\nc\n"},
		{2, "mid1\nmid2", "top\na\nmid1\nmid2\nb\nc\n"},
		{"6", "end\n", "top\na\nmid1\nmid2\nb\nc\nend\n"},
	} {
		res := ttMust(t, tool, sb, map[string]any{"command": "insert", "path": p, "insert_line": tc.line, "new_str": tc.text})
		ttContains(t, res.Content, "has been edited", strings.Split(tc.text, "\n")[0])
		ttContains(t, res.Diff, "+"+strings.Split(tc.text, "\n")[0]+"\n")
		if got := ttRead(t, p); got != tc.want {
			t.Fatalf("insert after %v: %q, want %q", tc.line, got, tc.want)
		}
	}
	// A last line without a newline.
	ttWrite(t, p, "x\ny")
	ttMust(t, tool, sb, map[string]any{"command": "insert", "path": p, "insert_line": 2, "new_str": "z"})
	if got := ttRead(t, p); got != "x\ny\nz" {
		t.Fatalf("insert at end without final newline: %q", got)
	}
	for _, bad := range []map[string]any{
		{"command": "insert", "path": p, "insert_line": 4, "new_str": "q"},
		{"command": "insert", "path": p, "insert_line": -1, "new_str": "q"},
		{"command": "insert", "path": p, "new_str": "q"},
		{"command": "insert", "path": p, "insert_line": 1},
	} {
		_, err := ttEdit(t, tool, sb, bad)
		ttErrContains(t, err, "insert")
	}
}

func TestEditorUndoHistory(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	p := sb.WorkDir() + "/n.txt"
	ttWrite(t, p, "v0\n")
	_, err := ttEdit(t, tool, sb, map[string]any{"command": "undo_edit", "path": p})
	ttErrContains(t, err, "no edit history")
	for i := 1; i <= 12; i++ {
		ttMust(t, tool, sb, map[string]any{"command": "str_replace", "path": p, "old_str": "v" + strconv.Itoa(i-1) + "\n", "new_str": "v" + strconv.Itoa(i) + "\n"})
	}
	for i := 11; i >= 2; i-- {
		res := ttMust(t, tool, sb, map[string]any{"command": "undo_edit", "path": p})
		want := "v" + strconv.Itoa(i) + "\n"
		if got := ttRead(t, p); got != want {
			t.Fatalf("undo: %q, want %q", got, want)
		}
		ttContains(t, res.Content, "undone successfully", "     1\t"+strings.TrimSpace(want))
		ttContains(t, res.Diff, "+"+want)
	}
	// Only 10 versions are kept.
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "undo_edit", "path": p})
	ttErrContains(t, err, "no edit history")
	// History is per path.
	q := sb.WorkDir() + "/other.txt"
	ttWrite(t, q, "q\n")
	ttMust(t, tool, sb, map[string]any{"command": "insert", "path": q, "insert_line": 1, "new_str": "r"})
	_, err = ttEdit(t, tool, sb, map[string]any{"command": "undo_edit", "path": p})
	ttErrContains(t, err, "no edit history")
	ttMust(t, tool, sb, map[string]any{"command": "undo_edit", "path": q})
	if got := ttRead(t, q); got != "q\n" {
		t.Fatalf("undo insert: %q", got)
	}
}

func TestEditorInvalidCalls(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	cases := map[string]string{
		`{"command": "view"`:                  "invalid arguments",
		`{"path": "/x"}`:                      `"command" is required`,
		`{"command": "delete", "path": "/x"}`: "unknown command",
		`{"command": "view"}`:                 `"path" is required`,
		`{"command": "view", "path": "/x", "view_range": "abc"}`: "view_range",
	}
	for args, want := range cases {
		_, _, _, err := ttRun(t, tool, sb, "x", args)
		ttErrContains(t, err, want)
	}
}

func TestEditorDescribe(t *testing.T) {
	d := NewFileEditorTool().(Describer)
	for args, want := range map[string]string{
		`{"command": "str_replace", "path": "/w/app.py", "old_str": "a"}`: "str_replace /w/app.py",
		`{"command": "view", "path": "/w/a.go", "view_range": [1, 20]}`:   "view /w/a.go [1, 20]",
		`{"command": "insert", "path": "/w/a.go", "insert_line": 3}`:      "insert /w/a.go after line 3",
		`nonsense`: "file_editor",
	} {
		if cmd, sum := d.Describe(json.RawMessage(args)); cmd != "" || sum != want {
			t.Errorf("Describe(%s) = %q, %q; want %q", args, cmd, sum, want)
		}
	}
}

func TestEditorUsesSandboxCtx(t *testing.T) {
	sb := ttSandbox(t)
	tool := NewFileEditorTool()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tool.Run(ctx, ToolCall{ID: "x", Sandbox: sb, Args: ttArgs(t, map[string]any{"command": "view", "path": sb.WorkDir()})})
	if err == nil {
		t.Fatal("a cancelled context still viewed")
	}
}
