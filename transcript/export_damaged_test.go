package transcript

import (
	"os"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm/llmtest"
)

// A recording with a damaged middle line still exports, and every format
// says which line was left out.
func TestExportOfADamagedRecordingSaysWhatWasSkipped(t *testing.T) {
	rec := record(t, "m", "count", sh("seq 1 3"), llmtest.TextReply("counted"))
	data, _ := os.ReadFile(rec)
	lines := strings.SplitAfter(string(data), "\n")
	lines[3] = "{\"kind\":\x00\n"
	os.WriteFile(rec, []byte(strings.Join(lines, "")), 0o600)
	for _, f := range Formats {
		out := export(t, rec, f)
		if !strings.Contains(out, "line 4 of ") || !strings.Contains(out, "is damaged and was skipped") || !strings.Contains(out, "counted") {
			t.Errorf("%s export does not name the skipped line or lost the rest:\n%s", f, out)
		}
	}
}
