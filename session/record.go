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
	"strconv"
	"strings"
	"sync"
	"syscall"
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

	// Skipped is what reading the file found (never written): the
	// damaged lines ReadRecordingFile left out. SkippedNotice words it.
	Skipped []SkippedLine `json:"-"`
}

// RecordFormatVersion is the recording format this tether writes. Files
// without a header (or version) are read as version 1; a newer version is
// refused with an error saying to upgrade, not misread.
const RecordFormatVersion = 1

// ErrNewerRecording marks a recording written by a newer tether.
var ErrNewerRecording = errors.New("recording is from a newer tether")

// recorder appends one JSON object per line to a file. Each line is written
// with a single unbuffered write, so a process killed at any point leaves a
// valid prefix (at worst a truncated last line, which ReadRecording skips;
// and the last window of a stream's chunks, see record_coalesce.go).
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
	// pending is a stream's text not yet written (record_coalesce.go),
	// joined the buffer of its text once chunks were joined, line the
	// buffer of a chunk's line (record_chunkline.go).
	pending    pendingChunk
	hasPending bool
	joined     []byte
	line       []byte
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
	if err := r.write(hdr); err != nil {
		f.Close()
		// A full disk: leave no 0-byte file that lists as a recording.
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
			_ = os.Remove(path)
		}
		return nil, fmt.Errorf("%w: %w", errNotRecording, err)
	}
	return r, nil
}

// errNotRecording marks a recording that could be opened but not written
// (a full disk): the session runs unrecorded and says so, where a path it
// cannot open at all is the caller's mistake and an error.
var errNotRecording = errors.New("not recording")

// event records ev. It returns the error that stopped the recording when
// this write is the one that failed, once; nil after.
func (r *recorder) event(ev *Event) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.f == nil {
		return nil
	}
	if data, ok := chunkText(ev); ok {
		return r.chunk(ev, data)
	}
	if err := r.flushLocked(); err != nil {
		return err
	}
	return r.writeLocked(ev)
}

// failure is why the recording stopped, "" while it works.
func (r *recorder) failure() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

// write writes one line; it returns the error when this write stopped the
// recording.
func (r *recorder) write(v any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeLocked(v)
}

// writeLocked is write with r.mu held.
func (r *recorder) writeLocked(v any) error {
	if r.err != nil || r.f == nil {
		return nil
	}
	r.buf.Reset()
	if err := r.enc.Encode(v); err != nil { // Encode appends the newline
		r.fail(fmt.Errorf("encode recording line: %w", err))
		return r.err
	}
	err := r.writeLine(r.buf.Bytes())
	if r.buf.Cap() > 1<<20 {
		r.buf = bytes.Buffer{}                           // don't keep a huge line's buffer forever
		r.enc = json.NewEncoder(jsonsafe.Writer(&r.buf)) // `cat` of a recording must not drive a terminal
		r.enc.SetEscapeHTML(false)
	}
	return err
}

// writeLine writes one encoded line with a single write. r.mu held.
func (r *recorder) writeLine(line []byte) error {
	if _, err := r.f.Write(line); err != nil {
		r.fail(fmt.Errorf("write recording %s: %w (disk full?)", r.path, err))
		return r.err
	}
	return nil
}

// fail remembers the first error; the session keeps running without a
// recording rather than dying because a disk filled up.
func (r *recorder) fail(err error) {
	r.err = err
	if r.logger != nil {
		r.logger.Error("recording stopped", "err", err)
	}
}

// close syncs and closes the file. A write that failed earlier is not
// returned again: the session told its subscriber then, and its Result
// says so (RecordError).
func (r *recorder) close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	_ = r.flushLocked() // a failure is in r.err, reported like any other write's
	failed := r.err != nil
	var err error
	if serr := r.f.Sync(); serr != nil && !failed {
		err = fmt.Errorf("sync recording %s: %w", r.path, serr)
	}
	if cerr := r.f.Close(); cerr != nil && !failed && err == nil {
		err = fmt.Errorf("close recording %s: %w", r.path, cerr)
	}
	r.f = nil
	if r.err == nil {
		r.err = err
	}
	return err
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
// was killed mid-line) is ignored; a damaged line elsewhere is skipped and
// named in RecordHeader.Skipped (see ReadRecordingFile), so the rest can
// still be replayed. A file without a single event is ErrEmptyRecording.
func ReadRecording(path string) ([]Event, error) {
	_, evs, err := ReadRecordingFile(path)
	return evs, err
}

// ErrEmptyRecording marks a recording with no event in it: 0 bytes (the
// disk was full when the session started, or it was killed at once), or
// only a header.
var ErrEmptyRecording = errors.New("the recording has no events")

// SkippedLine is a line of a recording that could not be read.
type SkippedLine struct {
	Line   int    // 1-based
	Reason string // why it could not be read
}

// maxRecordLine bounds one line of a recording: a longer one (a file that
// is not a recording, or damage) is skipped without being held in memory.
const maxRecordLine = 256 << 20

// ReadRecordingFile is ReadRecording that also returns the header line
// (zero when the file has none), whose Skipped lists the damaged lines
// left out. A recording from a newer tether is ErrNewerRecording; a file
// with no readable event at all (empty, or not a recording) is an error.
func ReadRecordingFile(path string) (RecordHeader, []Event, error) {
	// O_NONBLOCK: a FIFO named as a recording must not block the open.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return RecordHeader{}, nil, fmt.Errorf("open recording: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return RecordHeader{}, nil, fmt.Errorf("open recording: %s is not a regular file: give the path of a .jsonl recording (see `tether ls`)", path)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	d := &lineDecoder{}
	done := func(err error) (RecordHeader, []Event, error) {
		d.flush()
		if err == nil && len(d.evs) == 0 {
			switch {
			case len(d.hdr.Skipped) > 0:
				err = fmt.Errorf("%s is not a tether recording: line %d: %s", path, d.hdr.Skipped[0].Line, d.hdr.Skipped[0].Reason)
			case d.hdr.Type != "":
				err = fmt.Errorf("recording %s: %w: it has a header and nothing else (the session recorded nothing after starting)", path, ErrEmptyRecording)
			default:
				err = fmt.Errorf("recording %s: %w: the file is empty (was the disk full when the session started?)", path, ErrEmptyRecording)
			}
		}
		return d.hdr, d.evs, err
	}
	for lineNo := 1; ; lineNo++ {
		line, long, rerr := readLine(br, maxRecordLine)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return done(fmt.Errorf("read recording %s: %w", path, rerr))
		}
		last := rerr != nil // no newline: the final, possibly truncated line
		var perr error
		if long {
			perr = fmt.Errorf("longer than %d MiB", maxRecordLine>>20)
		} else if t := bytes.TrimSpace(line); len(t) > 0 {
			perr = d.line(t, lineNo)
		}
		if perr != nil {
			if errors.Is(perr, ErrNewerRecording) {
				return done(fmt.Errorf("read recording %s: %w", path, perr))
			}
			if last {
				return done(nil)
			}
			// One bad line (a disk error, an editor, a crash of another
			// writer) must not cost the rest: skip it and say so.
			d.hdr.Skipped = append(d.hdr.Skipped, SkippedLine{Line: lineNo, Reason: oneLineReason(perr)})
		}
		if last {
			return done(nil)
		}
	}
}

// readLine reads up to and including the next newline. A line longer than
// limit is consumed without being kept: long reports it.
func readLine(br *bufio.Reader, limit int) (line []byte, long bool, err error) {
	var buf []byte
	for {
		part, err := br.ReadSlice('\n')
		if !long {
			if len(buf)+len(part) > limit {
				long, buf = true, nil
			} else {
				buf = append(buf, part...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, long, err
	}
}

// oneLineReason is a decoding error short enough for a notice.
func oneLineReason(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// SkippedNotice says which damaged lines a reader left out, e.g.
// "line 7 of r.jsonl is damaged and was skipped (invalid character 'x'
// looking for beginning of value); the rest is shown"; "" when none.
func SkippedNotice(path string, skipped []SkippedLine) string {
	switch len(skipped) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("line %d of %s is damaged and was skipped (%s); the rest is shown", skipped[0].Line, path, skipped[0].Reason)
	}
	nums := make([]string, 0, min(len(skipped), 10))
	for _, l := range skipped[:min(len(skipped), 10)] {
		nums = append(nums, strconv.Itoa(l.Line))
	}
	more := ""
	if len(skipped) > 10 {
		more = fmt.Sprintf(" and %d more", len(skipped)-10)
	}
	return fmt.Sprintf("%d damaged lines of %s were skipped (lines %s%s; the first: %s); the rest is shown",
		len(skipped), path, strings.Join(nums, ", "), more, skipped[0].Reason)
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
