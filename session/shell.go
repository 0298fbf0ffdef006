package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tether-dev/tether/internal/tailbuf"
	"github.com/tether-dev/tether/sandbox"
)

// maxShellNote bounds how much of a user command's output the model is
// told about on the next prompt.
const maxShellNote = 4000

// shellTimeout bounds a user's own command (Cancel stops it sooner).
const shellTimeout = DefaultTerminalMaxTimeout

// Shell runs the user's own command (`!cmd`) in the sandbox and blocks
// until it ends; call it from a goroutine (a tea.Cmd) in a UI. It
// publishes Action{Direct: true}, Output and Observation events. The
// command is not sent to the model, but a note of it (with the start of
// its output) is added to the next prompt as context. Cancel stops it.
// Works without a Model. A command that fails is not an error: err is for
// a closed session or an empty command.
func (s *Session) Shell(command string) error {
	if strings.TrimSpace(command) == "" {
		return fmt.Errorf("empty command: type a shell command after '!'")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	ctx, cancel := context.WithCancel(s.base)
	s.shellSeq++
	n := s.shellSeq
	s.shells[n] = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.shells, n)
		s.mu.Unlock()
		cancel()
		s.wg.Done()
	}()

	id := fmt.Sprintf("user_%d", n)
	// The user is watching and can cancel: give their command the
	// terminal tool's longest timeout, not the model's default.
	args, _ := json.Marshal(map[string]any{"command": command, "timeout": shellTimeout.Seconds()})
	if err := s.awaitWorkspace(ctx); err != nil { // a fork's files are put back first
		return err
	}
	s.snapshotStep(ctx, "", true)
	s.publish(Event{Kind: KindAction, Action: &Action{
		ToolCallID: id, Tool: ToolTerminal, Args: args,
		Command: command, Summary: "your command", Direct: true,
	}})
	var obs Observation
	// Through the session's terminal tool when it has one, so the user's
	// commands share its state (working directory, shell).
	if t, ok := s.tools[ToolTerminal]; ok {
		obs = s.execute(ctx, t, id, args).Observation
	} else {
		obs = s.execDirect(ctx, id, command)
	}
	obs.ToolCallID, obs.Tool = id, ToolTerminal
	s.snapshotStep(ctx, id, false)
	s.providerSnapshotStep(ctx, ToolTerminal, args, id)
	s.publish(Event{Kind: KindObservation, Observation: &obs})

	s.mu.Lock()
	s.notes = append(s.notes, s.bus.redact.text(shellNote(command, obs))) // as tool results are
	s.mu.Unlock()
	return nil
}

// shellNote is what the model is told of a command the user ran (also
// when a recording is rebuilt for a fork).
func shellNote(command string, obs Observation) string {
	exit := "no exit code"
	if obs.ExitCode != nil {
		exit = fmt.Sprintf("exit code %d", *obs.ExitCode)
	}
	out := obs.Content
	if len(out) > maxShellNote {
		out = string(trimRuneEnd([]byte(out[:maxShellNote]))) + "\n[... truncated]" // whole characters only
	}
	return fmt.Sprintf("[The user ran this command in the sandbox themselves: `%s` (%s). Output:]\n%s", command, exit, out)
}

// execDirect runs a command with sandbox Exec when there is no terminal
// tool, keeping the tail of its output for the observation.
func (s *Session) execDirect(ctx context.Context, id, command string) Observation {
	stdout, stderr := s.newOutWriter(id, "stdout"), s.newOutWriter(id, "stderr")
	tail := tailbuf.New(16 << 10)
	start := time.Now()
	res, err := s.sb.Exec(ctx, sandbox.ExecRequest{
		Command: command,
		Stdout:  io.MultiWriter(stdout, tail), // neither ever fails
		Stderr:  io.MultiWriter(stderr, tail),
	})
	stdout.flush()
	stderr.flush()
	obs := Observation{Duration: time.Since(start), OutputBytes: tail.Total(), Content: tailText(tail)}
	if err != nil {
		obs.IsError = true
		obs.Content = joinNonEmpty(obs.Content, "Error: "+err.Error())
		return obs
	}
	code := res.ExitCode
	obs.ExitCode = &code
	obs.IsError = code != 0
	switch {
	case res.Cancelled:
		obs.Content = joinNonEmpty(obs.Content, "[cancelled by user]")
	case res.TimedOut:
		obs.Content = joinNonEmpty(obs.Content, "[timed out]")
	}
	if obs.Content == "" {
		obs.Content = "(no output)"
	}
	return obs
}

// tailText is the output kept, after a note of how much came before it.
func tailText(t *tailbuf.Buffer) string {
	b, dropped := t.Tail()
	if dropped > 0 {
		return fmt.Sprintf("[... %d earlier bytes not shown]\n", dropped) + string(b)
	}
	return string(b)
}
