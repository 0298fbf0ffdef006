package history

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistorySurvivesReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "history.jsonl")
	h := Open(path, nil)
	for _, p := range []string{"first", "second\nwith two lines"} {
		if err := h.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Open(path, nil).Load()
	if err != nil || len(got) != 2 || got[0] != "first" || got[1] != "second\nwith two lines" {
		t.Fatalf("Load after reopening = %q, %v", got, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v (%v); want 0600: prompts are private", st.Mode().Perm(), err)
	}
}

func TestHistoryRedactsSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	key := "configured-key-0123456789"
	h := Open(path, []string{key})
	prompts := []string{
		"use the key " + key + " for the API",
		"export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx and run it",
		"curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345' x",
		"push with ghp_abcdefghijklmnopqrstuvwxyz0123456789",
	}
	for _, p := range prompts {
		if err := h.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	for _, secret := range []string{key, "sk-proj-abcdefghijklmnop", "abcdefghijklmnopqrstuvwxyz012345", "ghp_abcdefghij"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the history file holds %q:\n%s", secret, b)
		}
	}
	got, _ := h.Load()
	if len(got) != 4 || !strings.Contains(got[0], "use the key [REDACTED] for the API") || !strings.Contains(got[2], "Bearer [REDACTED]") {
		t.Errorf("redacted prompts lost their text: %q", got)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	h := Open(path, nil)
	n := 2*MaxEntries + 10
	for i := range n {
		if err := h.Append(fmt.Sprintf("prompt %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Append(strings.Repeat("x", MaxEntryBytes+1)); err != nil {
		t.Fatal(err)
	}
	got, err := Open(path, nil).Load()
	if err != nil || len(got) != MaxEntries || got[len(got)-1] != fmt.Sprintf("prompt %d", n-1) {
		t.Fatalf("Load = %d entries, last %q, %v; want the last %d", len(got), got[len(got)-1], err, MaxEntries)
	}
	b, _ := os.ReadFile(path)
	if lines := strings.Count(string(b), "\n"); lines >= 2*MaxEntries {
		t.Errorf("the file has %d lines; compaction should keep it under %d", lines, 2*MaxEntries)
	}
}

func TestHistorySkipsDamagedLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	os.WriteFile(path, []byte("{\"text\":\"good\"}\nnot json\n{\"text\":\"also good\"}\n"), 0o600)
	got, err := Open(path, nil).Load()
	if err != nil || len(got) != 2 || got[1] != "also good" {
		t.Errorf("Load = %q, %v", got, err)
	}
	if got, err := Open(filepath.Join(t.TempDir(), "none"), nil).Load(); err != nil || len(got) != 0 {
		t.Errorf("a missing file: %q, %v; want an empty history", got, err)
	}
}
