package transcript

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/llm/llmtest"
)

const exportSecret = "sk-test-0123456789abcdefghijklmnop"

// hostileRecording prints a secret, terminal escapes, HTML and a long
// output, and edits a file.
func hostileRecording(t *testing.T) string {
	return record(t, "m", "make a mess <b>now</b>",
		sh(`printf 'key=`+exportSecret+`\n\033]0;owned\007\033[2J<script>alert(1)</script>\n'; seq 1 500`),
		llmtest.ToolReply(llmtest.Call("file_editor", map[string]any{"command": "create", "path": "notes.md", "file_text": "```\nfenced\n```\n"})),
		llmtest.TextReply("done, see notes.md"))
}

func export(t *testing.T, rec, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Export(&b, rec, format, redact.New(exportSecret)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestExportIsRedactedInertAndFoldsLongOutput(t *testing.T) {
	rec := hostileRecording(t)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			out := export(t, rec, format)
			if strings.Contains(out, exportSecret[:16]) {
				t.Fatal("the secret (or a long fragment) is in the export")
			}
			if strings.ContainsAny(out, "\x1b\x07\x9b\x9d") {
				t.Fatal("a raw escape or control character is in the export")
			}
			if format == "html" && (strings.Contains(out, "<script>") || strings.Contains(out, "<b>now")) {
				t.Fatal("sandbox or prompt HTML is live in the html export")
			}
			for _, want := range []string{"make a mess", "done, see notes.md", "REDACTED"} {
				if !strings.Contains(out, want) {
					t.Errorf("export lacks %q", want)
				}
			}
		})
	}
	md := export(t, rec, "md")
	for _, want := range []string{"### You · event", "$ printf", "<details><summary>", "lines omitted", "```diff", "- **Status:** finished", "## Final message"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// The file's own ``` fence must not close the block that shows it.
	if !strings.Contains(md, "````diff") {
		t.Error("a diff holding ``` is not fenced with a longer fence")
	}
	htm := export(t, rec, "html")
	if !strings.HasPrefix(htm, "<!DOCTYPE html>") || !strings.Contains(htm, "<details>") || !strings.Contains(htm, "&lt;script&gt;") {
		t.Errorf("html export is not a folded, escaped page:\n%.2000s", htm)
	}
	var doc struct {
		Type    string            `json:"type"`
		Summary Summary           `json:"summary"`
		Events  []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal([]byte(export(t, rec, "json")), &doc); err != nil || doc.Type != "tether_transcript" || doc.Summary.Steps != 2 || len(doc.Events) == 0 {
		t.Fatalf("json export: %v %+v", err, doc.Summary)
	}
}

func TestExportRefusesAnUnknownFormatAndAMissingFile(t *testing.T) {
	rec := record(t, "m", "hi", llmtest.TextReply("hello"))
	if err := Export(&bytes.Buffer{}, rec, "pdf", redact.New()); err == nil || !strings.Contains(err.Error(), "md, html, json") {
		t.Fatalf("unknown format: %v", err)
	}
	if err := Export(&bytes.Buffer{}, rec+".missing", "md", redact.New()); err == nil {
		t.Fatal("a missing recording exported")
	}
}
