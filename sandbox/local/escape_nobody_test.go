package local

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// localNobodyEnv marks the copy of this test binary TestEscapesAsNobody runs.
const localNobodyEnv = "TETHER_TEST_AS_NOBODY"

// TestEscapesAsNobody runs the escape tests again as an unprivileged user
// (nobody), as tether runs outside containers. It needs root (to switch
// users) and setpriv; it skips cleanly without them.
func TestEscapesAsNobody(t *testing.T) {
	if os.Getenv(localNobodyEnv) != "" {
		t.Skip("already running as the unprivileged user")
	}
	if os.Getuid() != 0 {
		t.Skip("not root: the escape tests already run unprivileged")
	}
	localNeedBwrap(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	// The test binary's own directory is private to root: copy it where
	// nobody can run it, with a HOME and TMPDIR nobody can write.
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "local.test")
	if err := localCopyRegular(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"home", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o777); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(filepath.Join(dir, d), 0o777)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin,
		"-test.run", "^(TestSandbox|TestSurvivor|TestEditor|TestNetworkOff|TestNetworkEgress|TestNetworkOnWithout|TestSetsid|TestForkBomb|TestMemoryLimit|TestDiskLimit|TestExtraMounts|TestLandlock|TestInit|TestLocalExec|TestSeccomp|TestEtcView)", "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + filepath.Join(dir, "home"), "TMPDIR=" + filepath.Join(dir, "tmp"), localNobodyEnv + "=1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("escape tests as nobody failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestSandboxHasNoCapabilities") {
		t.Fatalf("escape tests did not run as nobody:\n%s", out)
	}
	if testing.Verbose() {
		t.Logf("as nobody:\n%s", out)
	} else if strings.Contains(string(out), "--- SKIP") {
		t.Logf("some escape tests skipped as nobody:\n%s", out)
	}
}
