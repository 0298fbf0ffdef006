package transcript

import (
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm/llmtest"
)

// What `tether diff` exits 0 or 1 on: the outcome (status, final
// message, workspace files), not tokens or time.
func TestCompareSameOnlyWhenOutcomeAndFilesMatch(t *testing.T) {
	a := record(t, "model-a", "p", sh("echo x > f.txt"), llmtest.TextReply("done"))
	b := record(t, "model-b", "p", sh("echo x > f.txt && true"), llmtest.TextReply("done"))
	c := record(t, "model-a", "p", sh("echo y > f.txt"), llmtest.TextReply("done"))
	d := record(t, "model-a", "p", llmtest.TextReply("done")) // no snapshot
	for _, tc := range []struct {
		name, x, y string
		want       string // Differences joined
	}{
		{"same files and message, other model", a, b, ""},
		{"a file differs", a, c, "workspace files"},
		{"no snapshot on one side", a, d, "workspace files not comparable"},
	} {
		cmp, err := Compare(tc.x, tc.y)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(cmp.Differences(), ", "); got != tc.want || cmp.Same != (tc.want == "") {
			t.Errorf("%s: differences %q same=%v, want %q", tc.name, got, cmp.Same, tc.want)
		}
	}
}
