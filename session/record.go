package session

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
)

// Version is tether's version, written into recording headers. The
// command sets it at start-up (or via -ldflags).
var Version = "dev"

// RecordingType marks the header line of a tether JSONL recording.
const RecordingType = "tether_session"

// RecordHeader is the first line of a recording: what the session was.
type RecordHeader struct {
	Type           string       `json:"type"` // RecordingType
	FormatVersion  int          `json:"format_version"`
	ConversationID string       `json:"conversation_id"`
	Model          string       `json:"model,omitempty"`
	Sandbox        *SandboxInfo `json:"sandbox,omitempty"`
	TetherVersion  string       `json:"tether_version"`
	Start          time.Time    `json:"start"`
	// Parent is the recording this session was forked or resumed from,
	// ForkAt the event (its seq there) it branched after (0 = its end).
	Parent             string `json:"parent,omitempty"`
	ParentConversation string `json:"parent_conversation,omitempty"`
	ForkAt             int64  `json:"fork_at,omitempty"`
}

// RecordFormatVersion is the recording format this tether writes. Files
// without a header (or version) are read as version 1; a newer version is
// refused with an error saying to upgrade, not misread.
const RecordFormatVersion = 1

// ErrNewerRecording marks a recording written by a newer tether.
var ErrNewerRecording = errors.New("recording is from a newer tether")

// recorder appends one JSON object per line to a file. Each line is written
// with a single unbuffered write, so a process killed at any point leaves a
// valid prefix (at worst a truncated last line, which ReadRecording skips).
// The full text of every output chunk is recorded, including what the live
// view coalesced or elided.
type recorder struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	buf    bytes.Buffer
	enc    *json.Encoder
	err    error
	logger *slog.Logger
}

// openRecorder creates the file (and its directory). A nil recorder (path
// "") records nothing.
func openRecorder(path string, hdr RecordHeader, logger *slog.Logger) (*recorder, error) {
	if path == "" {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create recording directory for %s: %w (choose a writable RecordPath)", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open recording %s: %w (choose a writable RecordPath)", path, err)
	}
	r := &recorder{f: f, path: path, logger: logger}
	r.enc = json.NewEncoder(jsonsafe.Writer(&r.buf)) // `cat` of a recording must not drive a terminal
	r.enc.SetEscapeHTML(false)
	hdr.Type, hdr.FormatVersion = RecordingType, RecordFormatVersion
	r.write(hdr)
	if r.err != nil {
		f.Close()
		return nil, r.err
	}
	return r, nil
}

func (r *recorder) event(ev *Event) {
	if r == nil {
		return
	}
	r.write(ev)
}

func (r *recorder) write(v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.f == nil {
		return
	}
	r.buf.Reset()
	if err := r.enc.Encode(v); err != nil { // Encode appends the newline
		r.fail(fmt.Errorf("encode recording line: %w", err))
		return
	}
	if _, err := r.f.Write(r.buf.Bytes()); err != nil {
		r.fail(fmt.Errorf("write recording %s: %w (disk full?)", r.path, err))
	}
	if r.buf.Cap() > 1<<20 {
		r.buf = bytes.Buffer{}                           // don't keep a huge line's buffer forever
		r.enc = json.NewEncoder(jsonsafe.Writer(&r.buf)) // `cat` of a recording must not drive a terminal
		r.enc.SetEscapeHTML(false)
	}
}

// fail remembers the first error; the session keeps running without a
// recording rather than dying because a disk filled up.
func (r *recorder) fail(err error) {
	r.err = err
	if r.logger != nil {
		r.logger.Error("recording stopped", "err", err)
	}
}

func (r *recorder) close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return r.err
	}
	if err := r.f.Sync(); err != nil && r.err == nil {
		r.err = fmt.Errorf("sync recording %s: %w", r.path, err)
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = fmt.Errorf("close recording %s: %w", r.path, err)
	}
	r.f = nil
	return r.err
}

// DefaultRecordDir is where recordings go unless the caller chooses:
// $XDG_DATA_HOME/tether/sessions, or ~/.local/share/tether/sessions.
func DefaultRecordDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "tether", "sessions")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), "tether", "sessions")
	}
	return filepath.Join(home, ".local", "share", "tether", "sessions")
}

// RecordFileName makes a file name for a recording that sorts by start
// time: 20261126T012204Z-<conversation id>.jsonl.
func RecordFileName(start time.Time, conversationID string) string {
	id := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == os.PathSeparator || r < ' ' {
			return '_'
		}
		return r
	}, conversationID)
	return start.UTC().Format("20060102T150405Z") + "-" + id + ".jsonl"
}

// ReadRecording returns the events of a JSONL recording, in order. Output
// and assistant-delta chunks recorded under one Seq (the live view merged
// them) are joined back into one event. A truncated final line (the writer
// was killed mid-line) is ignored; a damaged line elsewhere is an error,
// returned with the events read before it.
func ReadRecording(path string) ([]Event, error) {
	_, evs, err := ReadRecordingFile(path)
	return evs, err
}

// ReadRecordingFile is ReadRecording that also returns the header line
// (zero when the file has none).
func ReadRecordingFile(path string) (RecordHeader, []Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return RecordHeader{}, nil, fmt.Errorf("open recording: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	d := &lineDecoder{}
	done := func(err error) (RecordHeader, []Event, error) {
		d.flush()
		return d.hdr, d.evs, err
	}
	for lineNo := 1; ; lineNo++ {
		line, rerr := br.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return done(fmt.Errorf("read recording %s: %w", path, rerr))
		}
		last := rerr != nil // no newline: the final, possibly truncated line
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if perr := d.line(t, lineNo); perr != nil {
				if errors.Is(perr, ErrNewerRecording) {
					return done(fmt.Errorf("read recording %s: %w", path, perr))
				}
				if last {
					return done(nil)
				}
				return done(fmt.Errorf("recording %s line %d is damaged: %w", path, lineNo, perr))
			}
		}
		if last {
			return done(nil)
		}
	}
}

// lineDecoder turns lines into events, joining the chunks recorded under
// one Seq in builders, so a recording of a huge output is read in linear
// time. Chunks of one Seq are usually adjacent; when a flood was elided
// from the live view they may follow later events.
type lineDecoder struct {
	hdr    RecordHeader
	evs    []Event
	chunks map[int64]int            // Seq -> index in evs of output/delta events
	joins  map[int]*strings.Builder // index in evs -> joined text so far
}

func (d *lineDecoder) flush() {
	for i, b := range d.joins {
		if ev := &d.evs[i]; ev.Kind == KindOutput {
			ev.Output.Data = b.String()
		} else {
			ev.Message.Text = b.String()
		}
	}
	d.joins = nil
}

func (d *lineDecoder) line(line []byte, lineNo int) error {
	var probe struct {
		Type string `json:"type"`
		Kind Kind   `json:"kind"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return err
	}
	if probe.Type == RecordingType {
		if lineNo != 1 {
			return errors.New("header line in the middle of the recording")
		}
		if err := json.Unmarshal(line, &d.hdr); err != nil {
			return err
		}
		if d.hdr.FormatVersion > RecordFormatVersion {
			return fmt.Errorf("%w: format version %d, this tether reads up to %d (upgrade tether to read it)", ErrNewerRecording, d.hdr.FormatVersion, RecordFormatVersion)
		}
		return nil
	}
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return err
	}
	if ev.Kind == "" {
		return errors.New("line is neither a header nor an event")
	}
	data, chunk := chunkText(&ev)
	if !chunk {
		d.evs = append(d.evs, ev)
		return nil
	}
	if i, ok := d.chunks[ev.Seq]; ok {
		if prev := &d.evs[i]; sameStream(prev, &ev) {
			pdata, _ := chunkText(prev)
			b := d.joins[i]
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(pdata)
				if d.joins == nil {
					d.joins = map[int]*strings.Builder{}
				}
				d.joins[i] = b
			}
			b.WriteString(data)
			return nil
		}
	}
	if d.chunks == nil {
		d.chunks = map[int64]int{}
	}
	d.chunks[ev.Seq] = len(d.evs)
	d.evs = append(d.evs, ev)
	return nil
}
