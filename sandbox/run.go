package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"
)

// RunResult is what Run collected from one command.
type RunResult struct {
	Stdout   string
	Stderr   string
	ExitCode int // -1 when the command was killed (ctx ended)
	Duration time.Duration
}

// runOutputLimit bounds what Run keeps of each stream: a command that
// prints without end must not take the caller's memory with it.
const runOutputLimit = 64 << 20

// Run runs a shell command in sb and collects its output, for tests and
// scripts that want a result rather than a stream (Exec streams). A
// non-zero exit is not an error: err is for failing to run it at all.
// Each stream keeps its first 64 MiB. ctx bounds the command: when it
// ends, the command's process tree is killed.
func Run(ctx context.Context, sb Sandbox, command string) (RunResult, error) {
	var stdout, stderr cappedBuffer
	res, err := sb.Exec(ctx, ExecRequest{Command: command, Stdout: &stdout, Stderr: &stderr})
	out := RunResult{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: res.ExitCode, Duration: res.Duration}
	if err != nil {
		return out, fmt.Errorf("run %q in sandbox %s: %w", command, sb.ID(), err)
	}
	return out, nil
}

// cappedBuffer is a goroutine-safe buffer that drops what comes past
// runOutputLimit.
type cappedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := runOutputLimit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
