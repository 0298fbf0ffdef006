package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDaytonaSDKStaysInItsProvider: the engine, the UI and the suite runner
// depend on sandbox's interfaces only, never on the Daytona SDK (about 270
// packages); only sandbox/daytona and the wiring (app, main) link it.
func TestDaytonaSDKStaysInItsProvider(t *testing.T) {
	for _, pkgs := range [][]string{{"./ui/..."}, {"./session/..."}, {"./suite/..."}, {"./llm/..."}, {"./sandbox", "./sandbox/local"}} {
		args := append([]string{"list", "-deps"}, pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/daytonaio/") || dep == "github.com/tether-dev/tether/sandbox/daytona" {
				t.Errorf("%v depends on %s", pkgs, dep)
				break
			}
		}
	}
}
