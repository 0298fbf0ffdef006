// Package app wires configuration to the engine: it builds the sandbox
// provider and the model client from config.Config, runs an interactive
// session for the TUI (Engine) and a headless one for scripts (RunHeadless).
//
// It is glue: the agent loop lives in session, the screen in ui, sandboxes in
// sandbox and the chat client in llm. It must not render anything itself
// beyond the headless output format.
package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

var recordSeq atomic.Int64

// RecordDir is the directory recordings go to, whether or not recording
// is on (listing them does not need it on).
func RecordDir(cfg config.Config) string {
	if cfg.Session.RecordDir != "" {
		return cfg.Session.RecordDir
	}
	return session.DefaultRecordDir()
}

// RecordPath is where a new session's JSONL recording goes, or "" when
// recording is off. The directory is created.
func RecordPath(cfg config.Config) (string, error) {
	if !cfg.Session.Record {
		return "", nil
	}
	dir := RecordDir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the recordings directory (set [session] record_dir or record = false): %w", err)
	}
	// Unique per process (run id) and within it (counter): a fleet opens
	// several sessions in the same second.
	name := fmt.Sprintf("%s-%s-%d.jsonl", time.Now().UTC().Format("20060102-150405"), sandbox.RunID(), recordSeq.Add(1))
	return filepath.Join(dir, name), nil
}

// OpenLog opens tether's own log file. It never writes to the terminal.
func OpenLog(cfg config.Config) (*slog.Logger, io.Closer, error) {
	path := cfg.Log.File
	if path == "" {
		path = filepath.Join(config.StateDir(), "tether.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the log directory (set [log] file): %w", err)
	}
	// O_NONBLOCK: a FIFO would block the open until someone reads it.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the log file (set [log] file): %w", err)
	}
	// A pipe could stall every log call, a terminal would get the log
	// over the UI: a regular file only (or /dev/null, for no log).
	if fi, err := f.Stat(); err != nil || (!fi.Mode().IsRegular() && path != os.DevNull) {
		f.Close()
		return nil, nil, fmt.Errorf("the log file %s is not a regular file: set [log] file to a file path (or %s for no log)", path, os.DevNull)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Log.Level)))
	h := slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})
	return slog.New(redactHandler{Handler: h, secrets: redact.New(cfg.Secrets()...)}), f, nil
}
