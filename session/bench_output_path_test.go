package session

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// benchFloodBytes is the size of one flood: what `yes`-like output of a
// command in the agent's terminal brings in a few seconds.
const benchFloodBytes = 100 << 20

// BenchmarkOutputPath measures tether's CPU per output byte on the way
// from the shell's bytes to the session's event bus and recording, during
// a 100 MB flood of terminal output (80-column lines with CRLF, SGR
// colours, UTF-8) arriving in 64 KiB reads, with a secret configured (so
// the stream redactor works) and a subscriber draining the events.
//
//   - writer: 64 KiB writes into the tool's output writer (outWriter:
//     UTF-8 carry, stream redaction) → publish → bus → recorder → file.
//   - pty: the terminal tool over sandbox/shellrun's Runner on a fake
//     shell that answers the protocol and floods on the command: the
//     marker scan, the job, the output capture, then the writer path.
//     The capture's spill file is capped at 1 MiB (MaxSaved) so that
//     copying 100 MB into the sandbox at the end is not measured.
func BenchmarkOutputPath(b *testing.B) {
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average: %s", strings.TrimSpace(string(la)))
	}
	pattern := benchTerminalText(1<<20 + 4093) // not a multiple of a read: UTF-8 and SGR split across chunks
	b.Run("writer", func(b *testing.B) {
		b.SetBytes(benchFloodBytes)
		b.ReportAllocs()
		defer benchCPU(b)()
		for b.Loop() {
			s, drained := benchOutputSession(b, newFakeSandbox(b))
			w := s.newOutWriter("c1", "stdout")
			chunk := make([]byte, 64<<10)
			off := 0
			for sent := 0; sent < benchFloodBytes; sent += len(chunk) {
				off = fillFromPattern(chunk, pattern, off)
				w.Write(chunk)
			}
			w.flush()
			benchOutputDone(b, s, drained)
		}
	})
	b.Run("pty", func(b *testing.B) {
		b.SetBytes(benchFloodBytes)
		b.ReportAllocs()
		defer benchCPU(b)()
		for b.Loop() {
			sb := &floodSandbox{fakeSandbox: newFakeSandbox(b), pattern: pattern, flood: benchFloodBytes}
			s, drained := benchOutputSession(b, sb)
			tool := NewTerminalTool().(*TerminalTool)
			tool.MaxSaved = 1 << 20
			w := s.newOutWriter("c1", "stdout")
			res, err := tool.Run(context.Background(), ToolCall{ID: "c1", Args: json.RawMessage(`{"command":"flood"}`), Sandbox: sb, Stdout: w})
			w.flush()
			tool.Close()
			if err != nil || res.OutputBytes != benchFloodBytes {
				b.Fatalf("flood: %v, %d bytes of output: %s", err, res.OutputBytes, res.Content)
			}
			benchOutputDone(b, s, drained)
		}
	})
}

// benchCPU reports the process's CPU time (user + system, every
// goroutine and the collector) per op when the returned func is called:
// on a loaded machine a steadier figure than the wall clock.
func benchCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// benchOutputSession is a recorded session with one secret and a
// subscriber that drains its events; drained is closed when they end.
func benchOutputSession(b *testing.B, sb sandbox.Sandbox) (*Session, chan struct{}) {
	s, err := New(Options{Sandbox: sb, Model: &fakeModel{}, Tools: fakeTools(),
		RecordPath: b.TempDir() + "/r.jsonl", Secrets: []string{"sk-bench-0123456789abcdefghijklmnop"}})
	if err != nil {
		b.Fatal(err)
	}
	drained := make(chan struct{})
	ch := s.Events()
	go func() {
		defer close(drained)
		for range ch {
		}
	}()
	return s, drained
}

func benchOutputDone(b *testing.B, s *Session, drained chan struct{}) {
	path, failed := s.opts.RecordPath, s.rec.failure()
	s.Close()
	<-drained
	if failed != "" {
		b.Fatalf("recording failed: %s", failed)
	}
	os.Remove(path) // 100 MB each
}

// benchTerminalText is n bytes of what a busy terminal shows: log lines,
// coloured test results and UTF-8 text, 80 columns, CRLF.
func benchTerminalText(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"résumé", "naïve", "café", "données", "→", "✓", "数据", "ünïcödé", "—", "load", "item", "worker", "ok", "cache", "miss", "commit"}
	var b []byte
	for len(b) < n {
		var line string
		switch rng.IntN(4) {
		case 0:
			line = fmt.Sprintf("\x1b[1;32mPASS\x1b[0m  ./pkg/%s/%s \x1b[2m(%.3fs)\x1b[0m", words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.Float64())
		case 1:
			line = fmt.Sprintf("\x1b[31merror\x1b[39m[E%04d]: \x1b[1m%s\x1b[22m at line %d", rng.IntN(10000), words[rng.IntN(len(words))], rng.IntN(1<<20))
		default:
			line = fmt.Sprintf("2026-12-03T14:30:%02d.%03dZ INFO worker[%03d] processed item %08d in %dms",
				rng.IntN(60), rng.IntN(1000), rng.IntN(1000), rng.IntN(1e8), rng.IntN(500))
		}
		for len(line) < 80 {
			line += " " + words[rng.IntN(len(words))]
		}
		b = append(b, line[:80]...) // may cut a character: terminals see that too
		b = append(b, '\r', '\n')
	}
	return b[:n]
}

// fillFromPattern fills p from pattern (cyclically) at off and returns
// the next offset.
func fillFromPattern(p, pattern []byte, off int) int {
	for k := 0; k < len(p); {
		c := copy(p[k:], pattern[off:])
		k += c
		off = (off + c) % len(pattern)
	}
	return off
}

// floodSandbox is a fake sandbox whose terminal speaks shellrun's
// protocol: it answers the pings with the marker, and a command with a
// flood of the pattern followed by the marker.
type floodSandbox struct {
	*fakeSandbox
	pattern []byte
	flood   int
}

var benchNonce = regexp.MustCompile(`036T%s:%s:%s:%s\\036[^ ]* ([0-9a-f]+) `)

func (f *floodSandbox) OpenShell(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error) {
	m := benchNonce.FindStringSubmatch(spec.Env["TETHER_SHELL_INIT"])
	if m == nil {
		return nil, fmt.Errorf("flood shell: no marker nonce in the shell's environment")
	}
	sh := &floodShell{nonce: m[1], pattern: f.pattern, flood: f.flood, done: make(chan struct{})}
	sh.cond = sync.NewCond(&sh.mu)
	return sh, nil
}

type floodShell struct {
	nonce   string
	pattern []byte
	flood   int

	mu     sync.Mutex
	cond   *sync.Cond
	left   int    // flood bytes still to read
	off    int    // in pattern
	after  []byte // the marker that follows the flood
	queue  []byte // small output (markers) to read
	closed bool
	done   chan struct{}
	once   sync.Once
}

var benchSeq = regexp.MustCompile(`__tk=([0-9]+)`)

func (s *floodShell) marker(seq string) []byte {
	return []byte("\x1eT" + s.nonce + ":" + seq + ":0:/work\x1e")
}

func (s *floodShell) Send(ctx context.Context, p []byte) error {
	m := benchSeq.FindSubmatch(p)
	if m == nil {
		return nil // the bootstrap line, a key
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Contains(string(p), "eval $'") {
		s.left, s.after = s.flood, s.marker(string(m[1]))
	} else {
		s.queue = append(s.queue, s.marker(string(m[1]))...)
	}
	s.cond.Broadcast()
	return nil
}

func (s *floodShell) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.left == 0 && len(s.queue) == 0 && !s.closed {
		s.cond.Wait()
	}
	switch {
	case len(s.queue) > 0:
		n := copy(p, s.queue)
		s.queue = s.queue[n:]
		return n, nil
	case s.left > 0:
		n := min(len(p), s.left)
		s.off = fillFromPattern(p[:n], s.pattern, s.off)
		s.left -= n
		if s.left == 0 {
			s.queue = append(s.queue, s.after...)
		}
		return n, nil
	}
	return 0, errFloodShellClosed
}

var errFloodShellClosed = fmt.Errorf("flood shell closed: %w", os.ErrClosed)

func (s *floodShell) Resize(ctx context.Context, cols, rows int) error { return nil }
func (s *floodShell) KillTagged(ctx context.Context, env string) error { return nil }
func (s *floodShell) Done() <-chan struct{}                            { return s.done }
func (s *floodShell) ExitCode() int                                    { return 0 }
func (s *floodShell) Close(ctx context.Context) error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.cond.Broadcast()
		s.mu.Unlock()
		close(s.done)
	})
	return nil
}
