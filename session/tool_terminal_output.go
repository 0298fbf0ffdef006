package session

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tether-dev/tether/sandbox"
)

// Output capture.
//
// The tool must give the model a bounded observation yet keep the full
// output, without holding unbounded output in memory. outputCapture keeps
// everything in memory only while it fits the observation limit. Past it,
// it keeps a fixed head and a ring buffer for the tail, counts bytes and
// lines, and spills the full stream to a local temporary file. When the
// command ends, a spilled stream is copied into the sandbox in bounded
// chunks (Sandbox.WriteFile takes a whole file, so large outputs go up as
// parts joined with cat) so the model can read it with its own tools.
// Copying only happens for truncated outputs, and the bytes saved are
// exactly the bytes the model and the UI saw, in arrival order.

const defaultUploadChunk = 8 << 20

type outputCapture struct {
	mu       sync.Mutex
	limit    int   // observation limit, bytes
	maxSaved int64 // cap on the spilled file
	chunk    int64 // bytes per WriteFile when saving

	total    int64
	newlines int64
	last     byte

	buf  []byte // everything, while total <= limit
	head []byte // first part, once over the limit
	tail ring

	spill    *os.File
	spillErr error
	saved    int64 // bytes written to spill
}

func newOutputCapture(limit int, maxSaved int64) *outputCapture {
	return &outputCapture{limit: limit, maxSaved: maxSaved, chunk: defaultUploadChunk}
}

// writer returns an io.Writer that records into the capture and then
// forwards to dst (which may be nil). Errors of dst are ignored: a UI that
// stops reading must not kill the command.
func (c *outputCapture) writer(dst io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		c.record(p)
		if dst != nil {
			dst.Write(p)
		}
		return len(p), nil
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (c *outputCapture) record(p []byte) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(len(p))
	c.newlines += int64(bytes.Count(p, []byte{'\n'}))
	c.last = p[len(p)-1]
	if c.head == nil && len(c.buf)+len(p) <= c.limit {
		c.buf = append(c.buf, p...)
		return
	}
	if c.head == nil {
		// Crossing the limit: switch to head + tail + spill file.
		headN := c.limit / 2
		c.tail = newRing(c.limit - headN)
		all := append(c.buf, p...)
		c.head = append([]byte(nil), all[:headN]...)
		c.tail.Write(all[headN:])
		c.buf = nil
		c.spillWrite(all)
		return
	}
	c.tail.Write(p)
	c.spillWrite(p)
}

func (c *outputCapture) spillWrite(p []byte) {
	if c.spillErr != nil {
		return
	}
	if c.spill == nil {
		c.spill, c.spillErr = os.CreateTemp("", "tether-output-*.log")
		if c.spillErr != nil {
			return
		}
	}
	if room := c.maxSaved - c.saved; int64(len(p)) > room {
		p = p[:max(room, 0)]
	}
	if len(p) == 0 {
		return
	}
	n, err := c.spill.Write(p)
	c.saved += int64(n)
	if err != nil {
		c.spillErr = err
	}
}

// truncated reports whether the output went over the limit.
func (c *outputCapture) truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head != nil
}

// close removes the local spill file.
func (c *outputCapture) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spill != nil {
		c.spill.Close()
		os.Remove(c.spill.Name())
		c.spill = nil
	}
}

// omittedRange in a render note is replaced by "N,M": the first 100 lines
// left out (from line 1 when unknown), for a ready-to-use `sed -n` example.
const omittedRange = "{omitted-range}"

// render returns the observation text: the whole output, or head + a
// marker + tail. note is put in the marker (where the full output is).
func (c *outputCapture) render(note string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head == nil {
		return modelSafe(string(c.buf))
	}
	head := c.head
	if i := bytes.LastIndexByte(head, '\n'); i >= len(head)/2 {
		head = head[:i+1] // end on a line boundary when it costs little
	}
	head = trimRuneEnd(head)
	tail := c.tail.Bytes()
	tailAtLine := false
	if i := bytes.IndexByte(tail, '\n'); i >= 0 && i < len(tail)/2 {
		tail, tailAtLine = tail[i+1:], true
	}
	tail = trimRuneStart(tail)
	omitted := c.total - int64(len(head)) - int64(len(tail))
	where, firstOmitted := "", int64(1)
	if len(head) > 0 && head[len(head)-1] == '\n' && tailAtLine {
		totalLines := c.newlines
		if c.last != '\n' {
			totalLines++
		}
		first := int64(bytes.Count(head, []byte{'\n'})) + 1
		tailLines := int64(bytes.Count(tail, []byte{'\n'}))
		if len(tail) > 0 && tail[len(tail)-1] != '\n' {
			tailLines++
		}
		if last := totalLines - tailLines; last >= first {
			where = fmt.Sprintf(" (lines %d-%d of %d)", first, last, totalLines)
			firstOmitted = first
		}
	}
	note = strings.ReplaceAll(note, omittedRange, strconv.FormatInt(firstOmitted, 10)+","+strconv.FormatInt(firstOmitted+99, 10))
	marker := fmt.Sprintf("\n[... Observation truncated: %d of %d bytes omitted%s. %s ...]\n", omitted, c.total, where, note)
	return modelSafe(string(head)) + marker + modelSafe(string(tail))
}

// save copies the spilled full output to path in the sandbox.
func (c *outputCapture) save(ctx context.Context, sb sandbox.Sandbox, path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spillErr != nil {
		return fmt.Errorf("keeping the full output in a local temporary file: %w", c.spillErr)
	}
	if c.spill == nil {
		return nil
	}
	size := c.saved
	if size <= c.chunk {
		data := make([]byte, size)
		if _, err := c.spill.ReadAt(data, 0); err != nil && err != io.EOF {
			return fmt.Errorf("reading back the full output: %w", err)
		}
		return sb.WriteFile(ctx, path, data)
	}
	var parts []string
	data := make([]byte, c.chunk)
	for off := int64(0); off < size; off += c.chunk {
		n, err := c.spill.ReadAt(data[:min(c.chunk, size-off)], off)
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading back the full output: %w", err)
		}
		part := fmt.Sprintf("%s.part%d", path, len(parts))
		if err := sb.WriteFile(ctx, part, data[:n]); err != nil {
			return err
		}
		parts = append(parts, shellQuote(part))
	}
	join := fmt.Sprintf("cat %s > %s && rm -f %s", strings.Join(parts, " "), shellQuote(path), strings.Join(parts, " "))
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: join})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("joining the parts of the full output failed (exit code %d)", res.ExitCode)
	}
	return nil
}

// ring keeps the last len(buf) bytes written to it.
type ring struct {
	buf  []byte
	pos  int
	full bool
}

func newRing(n int) ring { return ring{buf: make([]byte, n)} }

func (r *ring) Write(p []byte) {
	n := len(r.buf)
	if n == 0 {
		return
	}
	if len(p) >= n {
		copy(r.buf, p[len(p)-n:])
		r.pos, r.full = 0, true
		return
	}
	k := copy(r.buf[r.pos:], p)
	if k < len(p) {
		copy(r.buf, p[k:])
		r.full = true
	}
	r.pos = (r.pos + len(p)) % n
	if r.pos == 0 && len(p) > 0 {
		r.full = true
	}
}

func (r *ring) Bytes() []byte {
	if !r.full {
		return append([]byte(nil), r.buf[:r.pos]...)
	}
	out := make([]byte, 0, len(r.buf))
	out = append(out, r.buf[r.pos:]...)
	return append(out, r.buf[:r.pos]...)
}

// trimRuneEnd drops a UTF-8 sequence cut off at the end of b.
func trimRuneEnd(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b
		}
		if utf8.RuneStart(c) {
			if r, size := utf8.DecodeRune(b[len(b)-i:]); r == utf8.RuneError && size <= 1 {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

// trimRuneStart drops continuation bytes at the start of b.
func trimRuneStart(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[i]) {
			return b[i:]
		}
	}
	return b
}

// sizes returns the bytes seen and the bytes kept in the spill file.
func (c *outputCapture) sizes() (total, saved int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total, c.saved
}
