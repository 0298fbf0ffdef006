package sandbox_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// TestShellJoinKeepsEveryArgumentIntact: bash given ShellJoin(argv) sees
// exactly argv, whatever the words hold.
func TestShellJoinKeepsEveryArgumentIntact(t *testing.T) {
	argv := []string{"printf", `%s\0`, "", "a b", "c'd", `e"f`, "$HOME", "`id`", "*", "x\ny", "tab\there", "--", "-n", "ü", "a\\b", "!x", ";", "&&"}
	out, err := exec.Command("bash", "-c", sandbox.ShellJoin(argv)).Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if want := argv[2:]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("bash saw %q, want %q", got, want)
	}
}

func TestCommandLinePicksShellStringOrArgv(t *testing.T) {
	for _, c := range []struct {
		words []string
		argv  bool
		want  string
	}{
		{[]string{"echo hi && ls"}, false, "echo hi && ls"},
		{[]string{"--", "sh", "-c", "echo hi"}, false, "sh -c 'echo hi'"},
		{[]string{"ls", "-la", "my dir"}, false, "ls -la 'my dir'"},
		{[]string{"--", "echo hi"}, false, "'echo hi'"},
		{[]string{"echo hi"}, true, "'echo hi'"},
		{[]string{"--"}, false, ""},
		{nil, false, ""},
	} {
		if got := sandbox.CommandLine(c.words, c.argv); got != c.want {
			t.Errorf("CommandLine(%q, %v) = %q, want %q", c.words, c.argv, got, c.want)
		}
	}
}
