package suite

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// lockedBuffer is a bytes.Buffer safe for the renderer's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func feed(p *Progress) {
	now := time.Now()
	p.Update(CaseStatus{Index: 0, Total: 2, ID: "a", State: StateQueued})
	p.Update(CaseStatus{Index: 1, Total: 2, ID: "b", State: StateQueued})
	p.Update(CaseStatus{Index: 0, Total: 2, ID: "a", State: StateRunning, Steps: 3, Started: now,
		LastAction: "run \x1b]0;pwned\x07ls", LLMCalls: 1, CostKnown: true, CostUSD: 0.5})
	p.Update(CaseStatus{Index: 1, Total: 2, ID: "b", State: StateSetup, Started: now, Detail: "cloning"})
	p.Update(CaseStatus{Index: 0, Total: 2, ID: "a", State: StatePassed, Started: now,
		Result: &CaseResult{Status: StatePassed, Checks: []CheckResult{{Passed: true}}, Steps: 3, LLMCalls: 1, CostUSD: 0.5, CostKnown: true, Duration: time.Second}})
}

func TestProgressPlain(t *testing.T) {
	var buf lockedBuffer
	p := NewProgress(&buf, false)
	feed(p)
	p.Update(CaseStatus{Index: 1, Total: 2, ID: "b", State: StateFailed,
		Result: &CaseResult{Status: StateFailed, Reason: "check failed: \x1b[2Jboom", Checks: []CheckResult{{Passed: false}}}})
	p.Close()
	p.Close()
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PASS a") || !strings.HasPrefix(lines[1], "FAIL b") {
		t.Fatalf("plain output = %q", out)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(lines[1], "boom") || !strings.Contains(lines[0], "checks 1/1") {
		t.Errorf("plain output = %q", out)
	}
}

func TestProgressTTY(t *testing.T) {
	var buf lockedBuffer
	p := NewProgress(&buf, true)
	feed(p)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "cloning") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	live := buf.String()
	if !strings.Contains(live, "PASS a") || !strings.Contains(live, "setup") || !strings.Contains(live, "[1/2] 1 passed") {
		t.Fatalf("live view = %q", live)
	}
	if strings.Contains(live, "pwned") && strings.Contains(live, "\x1b]0;") {
		t.Errorf("an escape sequence from the sandbox reached the terminal: %q", live)
	}
	p.Close()
	final := buf.String()
	if !strings.Contains(final, "\x1b[J") {
		t.Errorf("no redraw sequence: %q", final)
	}
	tail := final[strings.LastIndex(final, "\x1b[J"):]
	if strings.Contains(tail, "cloning") || !strings.Contains(tail, "0 running") {
		t.Errorf("the final draw still shows running cases: %q", tail)
	}
}

func TestSanitize(t *testing.T) {
	for _, in := range []string{"red \x1b[31mtext\x1b[0m", "title \x1b]0;evil\x07 done", "bell\x07 nul\x00", "over\rwrite", "bidi \u202eevil", "bad \xff utf8"} {
		out := sanitize(in)
		for _, r := range out {
			if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e || r == utf8.RuneError {
				t.Errorf("sanitize(%q) = %q keeps %U", in, out, r)
			}
		}
	}
	if got := oneLine("a\n b\tc  d", 5); got != "a b …" {
		t.Errorf("oneLine = %q", got)
	}
	if got := oneLine("x \x1b[2Jy", 20); strings.Contains(got, "\x1b") {
		t.Errorf("oneLine kept an escape: %q", got)
	}
}
