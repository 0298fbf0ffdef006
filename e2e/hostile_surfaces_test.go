package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileName is a file name (or flag, or label) that retitles the
// terminal (OSC 2), sets the clipboard (OSC 52) and reverses the text.
const hostileName = "x\x1b]2;pwned\x07\x1b]52;c;ZXZpbA==\x07\u202e"

// TestE2EErrorsQuoteHostileNamesInert: error messages quote file names,
// flags, commands and ids as given; none of them may act on the terminal.
func TestE2EErrorsQuoteHostileNamesInert(t *testing.T) {
	e := newEnv(t, "local")
	bad := filepath.Join(e.root, hostileName)
	if err := os.WriteFile(bad+".jsonl", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"suite", "run", bad + ".toml"},
		{"replay", bad + ".jsonl"}, // exists, empty
		{"replay", bad + "-missing.jsonl"},
		{"run", "--config", bad + ".toml", "hi"},
		{"--bogus" + hostileName},
		{"run", "--resume", bad + ".jsonl", "go on"},
		{"suite", "add", bad + ".jsonl"},
		{"sandbox", "rm", "id" + hostileName},
		{"replay" + hostileName},
	} {
		out, stderr, code := e.run(30*time.Second, args...)
		if code == 0 || !strings.Contains(stderr, "pwned") {
			t.Errorf("%q: exit %d, the error does not quote the name:\n%s\n%s", args, code, out, stderr)
			continue
		}
		if err := inertCheck(out + stderr); err != nil || strings.ContainsRune(stderr, '\u202e') {
			t.Errorf("%q: the error prints the name raw (%v):\n%q", args, err, stderr)
		}
	}
}

// TestE2EConfigShowsHostileValuesInert: `tether config` prints the file's
// path and every value as read, from the file and the environment.
func TestE2EConfigShowsHostileValuesInert(t *testing.T) {
	e := newEnv(t, "local")
	dir := filepath.Join(e.root, hostileName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(cfg, []byte("[daytona]\nimage = \"img\\u009b2J\\u202e\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.extra["LLM_MODEL"] = "model\u009d0;pwned\a"
	out, stderr, code := e.run(30*time.Second, "config", "--config", cfg)
	if code != 0 || !strings.Contains(out, "pwned") || !strings.Contains(out, "img") {
		t.Fatalf("config: exit %d:\n%s\n%s", code, out, stderr)
	}
	if err := inertCheck(out); err != nil || strings.ContainsRune(out, '\u202e') {
		t.Errorf("config prints values raw (%v):\n%q", err, out)
	}
}

// TestE2ESandboxListsShowProviderStringsInert: labels come back from the
// provider as anyone with access to the account wrote them; `tether
// sandbox ls` and `tether cleanup --all` show them inert.
func TestE2ESandboxListsShowProviderStringsInert(t *testing.T) {
	e := newEnv(t, "daytona")
	out, stderr, code := e.run(60*time.Second, "sandbox", "create", "--label", "note="+hostileName)
	if code != 0 {
		t.Fatalf("sandbox create: exit %d:\n%s\n%s", code, out, stderr)
	}
	id := strings.TrimSpace(out)
	for _, args := range [][]string{{"sandbox", "ls"}, {"cleanup", "--all"}} {
		out, stderr, code := e.run(60*time.Second, args...)
		if code != 0 || !strings.Contains(out, id) {
			t.Errorf("%q: exit %d, the sandbox is not listed:\n%s\n%s", args, code, out, stderr)
			continue
		}
		if args[0] == "sandbox" && !strings.Contains(out, "pwned") {
			t.Errorf("%q: the label is not shown:\n%s", args, out)
		}
		if err := inertCheck(out + stderr); err != nil || strings.ContainsRune(out, '\u202e') {
			t.Errorf("%q: provider strings printed raw (%v):\n%q", args, err, out)
		}
	}
	if out, stderr, code := e.run(60*time.Second, "sandbox", "rm", id); code != 0 {
		t.Errorf("sandbox rm: exit %d:\n%s\n%s", code, out, stderr)
	}
}
