package app

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/config"
)

// A [log] file that is a FIFO used to block tether's start until someone
// read it (deaf to signals meanwhile); a terminal would get the log over
// the UI. Both are refused at once with an error naming the file.
func TestLogFileMustBeARegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "log.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			var cfg config.Config
			cfg.Log.File = path
			_, _, err := OpenLog(cfg)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: %v, want an error naming it", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: opening the log blocks", path)
		}
	}
	var cfg config.Config
	cfg.Log.File = os.DevNull
	if _, c, err := OpenLog(cfg); err != nil {
		t.Errorf("%s: %v", os.DevNull, err)
	} else {
		c.Close()
	}
}
