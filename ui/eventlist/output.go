package eventlist

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/tether-dev/tether/internal/termsafe"
)

// maxLineBytes caps one stored line (raw bytes): a longer line, such as
// minified JavaScript or a progress bar that never prints a newline, goes
// on as the next stored line instead of growing without bound. Nothing is
// lost; it only shows as several lines.
const maxLineBytes = 8 << 10

// outStore is one tool call's output, sanitized line by line as it
// arrives. The heap holds at most about ramCap bytes of it: the first
// half-budget of lines (head) and the newest half-budget (tail). When lines
// must be dropped from the middle, every line so far and every later one
// is written to a spill file, so the full-output view can reach them all.
type outStore struct {
	ramCap   int64
	spillDir string
	log      *slog.Logger

	head, tail lineBuf
	headFull   bool
	n          int   // complete lines
	rawBytes   int64 // bytes received
	lastStream string

	partial      []byte // raw bytes of the line still being written
	partialSafe  string
	partialSpans []termsafe.Span
	partialOK    bool // partialSafe is current

	// spans holds the colours of the in-memory lines that had any, by
	// line index (the text itself stays plain, for search and the spill
	// file).
	spans map[int][]termsafe.Span

	spill    *spillFile
	spillErr error
}

func newOutStore(ramCap int64, spillDir string, log *slog.Logger) *outStore {
	return &outStore{ramCap: ramCap, spillDir: spillDir, log: log}
}

// write ingests one chunk. Amortized O(len(data)) with no allocation per
// line, except when a line spans chunks.
func (o *outStore) write(stream, data string) {
	if stream != o.lastStream && len(o.partial) > 0 {
		// stdout and stderr interleave by line: a half line from the
		// other stream is ended rather than glued to this one.
		o.flushPartial()
	}
	o.lastStream = stream
	o.rawBytes += int64(len(data))
	for data != "" {
		i := strings.IndexByte(data, '\n')
		if i < 0 {
			o.partial = append(o.partial, data...)
			o.partialOK = false
			for len(o.partial) > maxLineBytes {
				cut := cutUTF8(o.partial, maxLineBytes)
				o.addLine(string(o.partial[:cut]))
				o.partial = o.partial[:copy(o.partial, o.partial[cut:])]
			}
			return
		}
		raw := data[:i]
		data = data[i+1:]
		if len(o.partial) > 0 {
			o.partial = append(o.partial, raw...)
			raw = string(o.partial)
			o.partial = o.partial[:0]
			o.partialOK = false
		}
		o.addRaw(raw)
	}
}

// flushPartial ends the line being written (the tool call finished
// without a final newline, or the stream switched).
func (o *outStore) flushPartial() {
	if len(o.partial) == 0 {
		return
	}
	raw := string(o.partial)
	o.partial = o.partial[:0]
	o.partialOK = false
	o.addRaw(raw)
}

func (o *outStore) addRaw(raw string) {
	raw = strings.TrimSuffix(raw, "\r")
	for len(raw) > maxLineBytes {
		cut := cutUTF8(raw, maxLineBytes)
		o.addLine(raw[:cut])
		raw = raw[cut:]
	}
	o.addLine(raw)
}

// appendLine appends the sanitized line to dst: the fast path for plain
// text, the terminal-line one (colours, CR overwrites) otherwise.
func (o *outStore) appendLine(dst []byte, raw string) []byte {
	if strings.IndexByte(raw, 0x1b) < 0 && strings.IndexByte(raw, '\r') < 0 {
		return termsafe.AppendLine(dst, raw)
	}
	text, spans := termsafe.Line(raw)
	if spans != nil {
		if o.spans == nil {
			o.spans = make(map[int][]termsafe.Span)
		}
		o.spans[o.n-1] = spans
	}
	return append(dst, text...)
}

func (o *outStore) addLine(raw string) {
	o.n++
	if !o.headFull {
		o.head.begin()
		o.head.buf = o.appendLine(o.head.buf, raw)
		o.head.end()
		if o.head.cost() >= o.ramCap/2 {
			o.headFull = true
		}
		return
	}
	o.tail.begin()
	o.tail.buf = o.appendLine(o.tail.buf, raw)
	o.tail.end()
	if o.spill != nil {
		if err := o.spill.writeLines(o.tail.last(), 1); err != nil {
			o.spillFailed(err)
		}
	}
	for o.tail.cost() > o.ramCap/2 && o.tail.len() > 1 {
		if o.spill == nil && o.spillErr == nil {
			o.startSpill()
		}
		delete(o.spans, o.tailStart())
		o.tail.dropFront()
	}
}

// startSpill runs just before the first line would be dropped from memory:
// head and tail then still hold every line.
func (o *outStore) startSpill() {
	sp, err := newSpillFile(o.spillDir)
	if err != nil {
		o.spillFailed(err)
		return
	}
	o.spill = sp
	if err := sp.writeLines(o.head.liveBytes(), o.head.len()); err != nil {
		o.spillFailed(err)
		return
	}
	if err := sp.writeLines(o.tail.liveBytes(), o.tail.len()); err != nil {
		o.spillFailed(err)
	}
}

func (o *outStore) spillFailed(err error) {
	o.spillErr = err
	o.log.Warn("event list: cannot keep full tool output on disk; the middle of this output will not be viewable", "err", err)
	if o.spill != nil {
		if rerr := o.spill.remove(); rerr != nil {
			o.log.Warn("event list: remove spill file", "err", rerr)
		}
		o.spill = nil
	}
}

// finish ends the output: the last half line becomes a line and the spill
// file's descriptor is released.
func (o *outStore) finish() {
	o.flushPartial()
	o.head.shrink()
	o.tail.shrink()
	if o.spill != nil {
		if err := o.spill.finish(); err != nil {
			o.spillFailed(err)
		}
	}
}

// errClosed stops spilling once the list is closed: Close promised that no
// spill file is left behind.
var errClosed = errors.New("the event list is closed")

func (o *outStore) close() error {
	if o.spillErr == nil {
		o.spillErr = errClosed
	}
	if o.spill == nil {
		return nil
	}
	err := o.spill.remove()
	o.spill = nil
	return err
}

// lines is the number of lines, the one being written included.
func (o *outStore) lines() int {
	if len(o.partial) > 0 {
		return o.n + 1
	}
	return o.n
}

// dropped is how many lines are not in memory.
func (o *outStore) dropped() int { return o.n - o.head.len() - o.tail.len() }

// tailStart is the index of the first line held in the tail.
func (o *outStore) tailStart() int { return o.n - o.tail.len() }

func (o *outStore) partialLine() string {
	if !o.partialOK {
		o.partialSafe, o.partialSpans = termsafe.Line(string(o.partial))
		o.partialOK = true
	}
	return o.partialSafe
}

// lineSpans returns the colours of in-memory line i (nil for most lines).
func (o *outStore) lineSpans(i int) []termsafe.Span {
	if i >= o.n {
		o.partialLine()
		return o.partialSpans
	}
	return o.spans[i]
}

// inRAM reports whether line i can be read without touching the disk.
func (o *outStore) inRAM(i int) bool {
	return i < o.head.len() || i >= o.tailStart()
}

// ramLine returns line i, which must be inRAM.
func (o *outStore) ramLine(i int) string {
	switch {
	case i < o.head.len():
		return o.head.line(i)
	case i >= o.n:
		return o.partialLine()
	default:
		return o.tail.line(i - o.tailStart())
	}
}

// scan calls fn for each line from index from on, reading the middle of a
// big output from the spill file, until fn returns false.
func (o *outStore) scan(from int, fn func(i int, line string) bool) error {
	total := o.lines()
	for i := max(from, 0); i < total; {
		if o.inRAM(i) {
			if !fn(i, o.ramLine(i)) {
				return nil
			}
			i++
			continue
		}
		end := o.tailStart()
		if o.spill == nil {
			msg := "(line not kept: the spill file could not be written)"
			if o.spillErr != nil {
				msg = fmt.Sprintf("(line not kept: %v)", o.spillErr)
			}
			for ; i < end; i++ {
				if !fn(i, msg) {
					return nil
				}
			}
			continue
		}
		stopped := false
		err := o.spill.scan(i, func(j int, line string) bool {
			if j >= end {
				return false
			}
			if !fn(j, line) {
				stopped = true
				return false
			}
			i = j + 1
			return true
		})
		if err != nil {
			return err
		}
		if stopped {
			return nil
		}
		if i < end {
			return fmt.Errorf("spill file %s ends at line %d of %d", o.spill.path, i, end)
		}
	}
	return nil
}

// window returns up to n lines from index from on.
func (o *outStore) window(from, n int) ([]string, error) {
	out := make([]string, 0, n)
	if n <= 0 {
		return out, nil
	}
	err := o.scan(from, func(_ int, line string) bool {
		out = append(out, line)
		return len(out) < n
	})
	return out, err
}

// cutUTF8 returns a cut point at most n bytes in that does not split a
// UTF-8 sequence (unless the text is not UTF-8 there anyway).
func cutUTF8[S ~string | ~[]byte](s S, n int) int {
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	return n
}
