// Package history keeps the prompts a user sent across restarts, like a
// shell's history file: one JSON line per prompt in a file under the XDG
// state directory, secrets redacted before anything is written, the file
// kept to a bounded number of entries. It knows nothing of the UI.
package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/tether-dev/tether/internal/redact"
)

const (
	// MaxEntries is how many prompts Load returns and the file keeps.
	MaxEntries = 1000
	// MaxEntryBytes caps one prompt; a longer paste is not remembered.
	MaxEntryBytes = 16 << 10
)

// entry is one line of the file.
type entry struct {
	Time time.Time `json:"ts"`
	Text string    `json:"text"`
}

// File is a history file. Its methods are safe for concurrent use.
type File struct {
	path    string
	secrets []string
	mu      sync.Mutex
	lines   int // in the file, for compaction
}

// Open returns the history at path; secrets are redacted from what is
// written. The file is created on the first Append.
func Open(path string, secrets []string) *File {
	return &File{path: path, secrets: secrets}
}

// Load returns the remembered prompts, oldest first. A missing file is an
// empty history; unreadable lines are skipped.
func (f *File) Load() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	entries, err := f.read()
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Text)
	}
	return out, err
}

func (f *File) read() ([]entry, error) {
	fh, err := openRegular(f.path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the prompt history: %w", err)
	}
	defer fh.Close()
	var out []entry
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 4*MaxEntryBytes)
	f.lines = 0
	for sc.Scan() {
		f.lines++
		var e entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Text != "" {
			out = append(out, e)
		}
	}
	if len(out) > MaxEntries {
		out = out[len(out)-MaxEntries:]
	}
	return out, nil
}

// Append remembers one prompt, redacted; it rewrites the file to the last
// MaxEntries when it has grown to twice that.
func (f *File) Append(text string) error {
	if text == "" || len(text) > MaxEntryBytes {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	line, err := json.Marshal(entry{Time: time.Now().UTC(), Text: Redact(text, f.secrets)})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("saving the prompt history: %w", err)
	}
	fh, err := openRegular(f.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY)
	if err != nil {
		return fmt.Errorf("saving the prompt history: %w", err)
	}
	_, err = fh.Write(append(line, '\n'))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("saving the prompt history: %w", err)
	}
	f.lines++
	if f.lines >= 2*MaxEntries {
		return f.compact()
	}
	return nil
}

// compact rewrites the file with its last MaxEntries entries, atomically.
func (f *File) compact() error {
	entries, err := f.read()
	if err != nil {
		return err
	}
	tmp := f.path + ".tmp"
	fh, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("compacting the prompt history: %w", err)
	}
	w := bufio.NewWriter(fh)
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err = enc.Encode(e); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting the prompt history: %w", err)
	}
	f.lines = len(entries)
	return nil
}

// tokenShapes are well-known credential formats redacted even when they
// are not tether's configured keys: a user pasting a token into a prompt
// should not find it in a file later.
var tokenShapes = regexp.MustCompile(`\b(sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16}|xox[abpr]-[A-Za-z0-9-]{10,}|dtn_[A-Za-z0-9]{16,})\b|(?i)(bearer\s+)[A-Za-z0-9._~+/-]{16,}=*`)

// Redact masks the given secrets and well-known token shapes in s.
func Redact(s string, secrets []string) string {
	s = redact.Text(s, secrets)
	return tokenShapes.ReplaceAllStringFunc(s, func(m string) string {
		if sub := tokenShapes.FindStringSubmatch(m); sub[2] != "" {
			return sub[2] + redact.Marker
		}
		return redact.Marker
	})
}

// openRegular opens path without blocking (O_NONBLOCK: a FIFO there would
// hang the TUI's start) and refuses anything but a regular file.
func openRegular(path string, flag int) (*os.File, error) {
	fh, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, err
	}
	if fi, err := fh.Stat(); err != nil || !fi.Mode().IsRegular() {
		fh.Close()
		return nil, fmt.Errorf("%s is not a regular file: remove it", path)
	}
	return fh, nil
}
