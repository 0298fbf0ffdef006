package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ELsShowsHostileFileNamesInert: a recording named with OSC 52
// (clipboard), OSC 2 (title) and a bidi override is listed inert.
func TestE2ELsShowsHostileFileNamesInert(t *testing.T) {
	e := newEnv(t, "local")
	if err := os.MkdirAll(e.recordDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	name := "x\x1b]52;c;ZXZpbA==\x07\x1b]2;pwned\x07\u202egnp.jsonl"
	line := `{"id":"1","seq":1,"kind":"user_message","message":{"text":"hi there"}}` + "\n"
	if err := os.WriteFile(filepath.Join(e.recordDir(), name), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := e.run(30*time.Second, "ls")
	if code != 0 || !strings.Contains(out, "pwned") {
		t.Fatalf("ls: exit %d, the recording is not listed:\n%s\n%s", code, out, stderr)
	}
	if err := inertCheck(out); err != nil || strings.ContainsRune(out, '\u202e') {
		t.Errorf("ls prints the file name raw (%v):\n%q", err, out)
	}
}
