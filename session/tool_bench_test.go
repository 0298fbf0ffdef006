package session

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// BenchmarkTerminalOverhead compares one terminal tool call with a raw
// Sandbox.Exec of the same command; the difference is the tool's cost
// (state wrapper, trailer filter, output capture).
func BenchmarkTerminalOverhead(b *testing.B) {
	sb := ttSandbox(b)
	const cmd = "echo hello"
	b.Run("raw-exec", func(b *testing.B) {
		for b.Loop() {
			if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: cmd, Stdout: io.Discard, Stderr: io.Discard}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("terminal-tool", func(b *testing.B) {
		tool := NewTerminalTool()
		args := json.RawMessage(`{"command": "` + cmd + `"}`)
		for b.Loop() {
			if _, err := tool.Run(context.Background(), ToolCall{ID: "b", Args: args, Sandbox: sb, Stdout: io.Discard, Stderr: io.Discard}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTerminalSeq200k is the 200,000-line output case end to end
// (stream, truncate, save the full output in the sandbox).
func BenchmarkTerminalSeq200k(b *testing.B) {
	sb := ttSandbox(b)
	tool := NewTerminalTool()
	args := json.RawMessage(`{"command": "seq 1 200000"}`)
	b.ReportAllocs()
	for b.Loop() {
		res, err := tool.Run(context.Background(), ToolCall{ID: "b", Args: args, Sandbox: sb, Stdout: io.Discard, Stderr: io.Discard})
		if err != nil || res.FullOutputPath == "" {
			b.Fatal(err, res.Content)
		}
	}
}

// BenchmarkOutputCapture measures the in-process cost of capturing 10 MB
// of output (no sandbox).
func BenchmarkOutputCapture(b *testing.B) {
	chunk := []byte(strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", 512)) // 32 KiB
	b.SetBytes(int64(len(chunk)) * 320)
	b.ReportAllocs()
	for b.Loop() {
		c := newOutputCapture(DefaultTerminalMaxOutput, DefaultTerminalMaxSaved)
		f := &stateFilter{dst: c.writer(io.Discard), marker: []byte("@@tether-state-0123456789abcdef@@")}
		for range 320 {
			f.Write(chunk)
		}
		f.Flush()
		_ = c.render("note")
		c.close()
	}
}

// BenchmarkEditorStrReplace10k is one str_replace on a 10,000-line file.
func BenchmarkEditorStrReplace10k(b *testing.B) {
	sb := ttSandbox(b)
	p := filepath.Join(sb.WorkDir(), "big.py")
	var lines []string
	for i := range 10000 {
		lines = append(lines, "    value_"+strconv.Itoa(i)+" = compute("+strconv.Itoa(i)+")")
	}
	if err := sb.WriteFile(context.Background(), p, []byte(strings.Join(lines, "\n")+"\n")); err != nil {
		b.Fatal(err)
	}
	tool := NewFileEditorTool()
	a := json.RawMessage(`{"command": "str_replace", "path": "` + p + `", "old_str": "value_5000 = compute(5000)", "new_str": "value_5000 = compute(-1)"}`)
	back := json.RawMessage(`{"command": "str_replace", "path": "` + p + `", "old_str": "value_5000 = compute(-1)", "new_str": "value_5000 = compute(5000)"}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		args := a
		if i%2 == 1 {
			args = back
		}
		i++
		if _, err := tool.Run(context.Background(), ToolCall{ID: "b", Args: args, Sandbox: sb}); err != nil {
			b.Fatal(err)
		}
	}
}
