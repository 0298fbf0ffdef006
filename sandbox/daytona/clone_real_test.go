package daytona_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// TestDaytonaCloneErrorsSayWhat: against the real daemon (which answers a
// failed clone with a bare HTTP 400), the error names the URL, the branch
// and git's own reason; a good clone still works.
func TestDaytonaCloneErrorsSayWhat(t *testing.T) {
	env := realdaemon.New(t)
	p, err := env.NewProvider(daytona.Options{Logger: dtLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	sb := dtCreate(t, p, sandbox.Spec{})
	repo := filepath.Join(t.TempDir(), "src.git")
	for _, args := range [][]string{{"init", "-q", "-b", "main", repo}, {"-C", repo, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x"}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: "file://" + repo, Dir: "ok"}); err != nil {
		t.Fatalf("a good clone failed: %v", err)
	}
	err = sb.GitClone(ctx, sandbox.CloneRequest{URL: "file://" + repo, Dir: "nobranch", Branch: "no-such-branch"})
	if err == nil {
		t.Fatal("a clone of a missing branch succeeded")
	}
	for _, want := range []string{"file://" + repo, "branch no-such-branch", "no branch or tag no-such-branch on the remote"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	missing := "file://" + filepath.Join(t.TempDir(), "missing.git")
	err = sb.GitClone(ctx, sandbox.CloneRequest{URL: missing, Dir: "missing"})
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "git says:") {
		t.Errorf("a clone of a missing repository: %v", err)
	}
	t.Logf("errors read: %v", err)
}
