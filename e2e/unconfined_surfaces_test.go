package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EUnconfinedSaysSoEverywhereHeadless: with isolation "none" the
// agent runs as the user, and tether run says so on stderr and in its
// --json result; confined, neither carries the warning and the result
// names the confinement.
func TestE2EUnconfinedSaysSoEverywhereHeadless(t *testing.T) {
	for _, prov := range []string{"local-none", "local"} {
		t.Run(prov, func(t *testing.T) {
			e := newEnv(t, prov)
			e.llm.Enqueue(llmtest.TextReply("nothing to do"))
			out, stderr, code := e.run(60*time.Second, "run", "--json", "say hi")
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
			}
			var res struct {
				Isolation string `json:"isolation"`
				Warning   string `json:"warning"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("result: %v\n%s", err, out)
			}
			const says = "with your files and keys"
			if prov == "local-none" {
				if !strings.Contains(stderr, says) || !strings.Contains(res.Warning, says) {
					t.Fatalf("isolation none: stderr %q, --json warning %q: both must say %q", stderr, res.Warning, says)
				}
				return
			}
			if strings.HasPrefix(res.Isolation, "unavailable") || res.Isolation == "" {
				t.Skipf("no bubblewrap here: %q", res.Isolation)
			}
			if strings.Contains(stderr, says) || res.Warning != "" || !strings.Contains(res.Isolation, "bwrap") {
				t.Fatalf("confined: stderr %q, warning %q, isolation %q", stderr, res.Warning, res.Isolation)
			}
			e.assertNoLeaks("unconfined/" + prov)
		})
	}
}
