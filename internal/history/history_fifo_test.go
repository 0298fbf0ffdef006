package history

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO where the history file goes used to block the TUI's start (the
// read) or the first prompt (the append) until someone opened its other
// end: both now fail at once, naming it.
func TestAHistoryThatIsAFIFODoesNotBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan [2]error, 1)
	go func() {
		h := Open(path, nil)
		_, lerr := h.Load()
		done <- [2]error{lerr, h.Append("hello")}
	}()
	select {
	case errs := <-done:
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: %v, want an error naming the file", []string{"Load", "Append"}[i], err)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the prompt history blocks on a FIFO")
	}
}
