package session

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/shellrun"
)

// The terminal over one persistent PTY shell.
//
// On a sandbox that can open a shell on a pseudo-terminal (both providers
// can: sandbox.Terminal), every call of the session types its command into
// the same interactive bash (sandbox/shellrun owns how it is typed and how
// its end and exit code are recognised): the working directory, variables,
// functions and aliases persist as in a terminal, output arrives byte for
// byte as it is printed, and interactive programs work. A call with
// "timeout" returns when it passes, leaving the command running; a later
// call with is_input sends it text or keys. Cancel, the tool's own timeout
// and the end of the session kill the command's whole process tree.

// DefaultInputWait is how long an is_input call (or an empty command that
// waits on a running one) waits for the command to finish before it
// returns what it printed, unless the call sets "timeout".
const DefaultInputWait = 30 * time.Second

// ptyShell returns the session's shell runner for sb, or nil when sb
// cannot open a PTY shell (a sandbox of another kind: the tool then runs
// each command with Exec).
func (t *TerminalTool) ptyShell(sb sandbox.Sandbox) *shellrun.Runner {
	term, ok := sandbox.As[sandbox.Terminal](sb)
	if !ok {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.noShell == sb {
		return nil
	}
	if t.shell != nil && t.shellFor != sb {
		go t.shell.Close(context.Background()) // a shell in another sandbox
		t.shell = nil
	}
	if t.shell == nil {
		// Starts in the work dir; the state that survives a restart of
		// the shell is kept in /tmp of the sandbox.
		t.shell = shellrun.New(term, sandbox.ShellSpec{Cwd: sb.WorkDir()}, "")
		t.shellFor = sb
	}
	return t.shell
}

// Close ends the session's shell, killing whatever still runs in it
// (Session.Close calls it). Safe to call twice.
func (t *TerminalTool) Close() error {
	t.mu.Lock()
	r := t.shell
	t.shell, t.shellFor = nil, nil
	t.mu.Unlock()
	if r == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.Close(ctx)
}

// noShellFallback decides, when r could not open a shell in sb, whether
// the session goes on with Exec: when no shell has ever opened there (a
// sandbox without PTY support), not when an open shell broke.
func (t *TerminalTool) noShellFallback(sb sandbox.Sandbox, r *shellrun.Runner, err error) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shell != r || t.shellOK {
		return false
	}
	t.noShell, t.shell, t.shellFor = sb, nil, nil
	go r.Close(context.Background())
	return true
}

// Interrupt kills, in the background, a command left running after a
// call with "timeout" (Session.Cancel calls it); one a call is waiting on
// is that call's to kill.
func (t *TerminalTool) Interrupt() {
	t.mu.Lock()
	r := t.shell
	t.mu.Unlock()
	if r == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r.KillDetached(ctx)
	}()
}

// runPTY runs one call over the persistent shell r.
func (t *TerminalTool) runPTY(ctx context.Context, call ToolCall, r *shellrun.Runner, a terminalArgs, timeout time.Duration, soft bool) (ToolResult, error) {
	if a.Reset {
		r.Reset(ctx)
		t.mu.Lock()
		t.ptyCwd = ""
		t.mu.Unlock()
	}
	cmd := ""
	if a.Command != nil {
		cmd = *a.Command
	}
	running := r.Running()
	switch {
	case bool(a.Reset) && strings.TrimSpace(cmd) == "":
		return ToolResult{Content: fmt.Sprintf("[The terminal was reset: a new shell in %s, with the environment it started with.]", call.Sandbox.WorkDir())}, nil
	case bool(a.IsInput) && !running:
		return ToolResult{IsError: true, Content: "[No command is running, so there is nothing to send input to. Send the text as a new command (without is_input).]"}, nil
	case !bool(a.IsInput) && running && strings.TrimSpace(cmd) != "":
		return ToolResult{IsError: true, Content: fmt.Sprintf("[Your command %q was NOT run: the previous command is still running. "+
			"Send is_input=true with text or keys to interact with it (C-c to interrupt it, C-d for end of input), or an empty command to wait for more of its output.]", firstLine(cmd, 200))}, nil
	case !bool(a.IsInput) && !running && strings.TrimSpace(cmd) == "":
		if a.Command == nil {
			return ToolResult{}, fmt.Errorf(`terminal: "command" is required, e.g. %s`, terminalExample)
		}
		return ToolResult{}, errors.New(`terminal: "command" is empty and no command is running: send the bash command to run`)
	}

	capture := newOutputCapture(orDefault(t.MaxOutput, DefaultTerminalMaxOutput), orDefault(t.MaxSaved, DefaultTerminalMaxSaved))
	if t.uploadChunk > 0 {
		capture.chunk = t.uploadChunk
	}
	defer capture.close()
	w := capture.writer(call.Stdout)

	var res shellrun.Result
	var err error
	if running {
		var data []byte
		if bool(a.IsInput) && cmd != "" {
			data = shellrun.Keys(cmd)
		}
		wait := DefaultInputWait
		if soft {
			wait = timeout
		}
		res, err = r.Input(ctx, data, w, wait, true)
	} else {
		if strings.ContainsRune(cmd, 0) {
			return ToolResult{}, errors.New(`terminal: the command contains a NUL character, which bash cannot run; write it with printf '\0' or a file instead`)
		}
		res, err = r.Run(ctx, cmd, w, timeout, soft)
		if errors.Is(err, shellrun.ErrNoShell) && t.noShellFallback(call.Sandbox, r, err) {
			// Nothing ran: the command goes the Exec way instead.
			return t.run(ctx, call, cmd, timeout)
		}
	}
	if err != nil {
		return ToolResult{}, fmt.Errorf("terminal: the sandbox could not run the command: %w", err)
	}
	cwd := res.Cwd
	if cwd == "" {
		cwd = call.Sandbox.WorkDir()
	}
	t.mu.Lock()
	t.ptyCwd, t.shellOK = cwd, true
	t.mu.Unlock()
	return t.observe(ctx, call, capture, res, timeout, cwd), nil
}

// observe turns a command's output and end into the tool result.
func (t *TerminalTool) observe(ctx context.Context, call ToolCall, capture *outputCapture, res shellrun.Result, timeout time.Duration, cwd string) ToolResult {
	out := ToolResult{}
	total, _ := capture.sizes()
	out.OutputBytes = total
	out.Output = capture.render(t.saveFull(ctx, call, capture, &out))
	var b strings.Builder
	b.WriteString(out.Output)
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	code := res.ExitCode
	switch {
	case res.Running:
		out.Running = true
		fmt.Fprintf(&b, "[The command is still running after %s (no exit code yet). Send an empty command to wait for more output, is_input=true with text or keys to interact with it (e.g. C-c to interrupt it), or leave it running in the background.]\n", fmtSeconds(res.Duration.Round(100*time.Millisecond)))
	case res.TimedOut:
		code, out.TimedOut = -1, true
		fmt.Fprintf(&b, "[The command timed out after %s and was killed with everything it started (exit code -1). For a long command, set \"timeout\" to get control back while it keeps running, or run it in the background with output to a file.]\n", fmtSeconds(timeout))
	case res.Cancelled:
		code, out.Interrupted = -1, true
		b.WriteString("[The command was interrupted and killed with everything it started (exit code -1).]\n")
	case res.Restarted:
		fmt.Fprintf(&b, "[The shell exited (exit code %d), e.g. by `exit`, `exec` or `set -e`; a new shell was started in the same directory with the same exported variables.]\n", code)
	default:
		fmt.Fprintf(&b, "[The command completed with exit code %d.]\n", code)
	}
	fmt.Fprintf(&b, "[Current working directory: %s]", modelSafe(cwd))
	out.Content, out.Cwd = b.String(), cwd
	out.ExitCode = &code
	return out
}

// saveFull saves a truncated output in the sandbox and returns the note
// that says where it is.
func (t *TerminalTool) saveFull(ctx context.Context, call ToolCall, capture *outputCapture, out *ToolResult) string {
	if !capture.truncated() {
		return ""
	}
	total, saved := capture.sizes()
	dir := t.OutputDir
	if dir == "" {
		dir = path.Join(call.Sandbox.WorkDir(), ".tether", "output")
		t.ensureIgnore(ctx, call.Sandbox)
	}
	p := path.Join(dir, outputFileName(call.ID))
	// Save even when ctx was cancelled: the output is what the user will
	// want to look at.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	serr := capture.save(saveCtx, call.Sandbox, p)
	cancel()
	switch {
	case serr != nil:
		return fmt.Sprintf("The full output could not be saved (%v); re-run the command with its output redirected to a file and inspect that with grep or sed -n", serr)
	case saved < total:
		out.FullOutputPath = p
		return fmt.Sprintf("The first %d bytes of the output are saved in %s; inspect it with e.g. `grep -n PATTERN %s` or `sed -n '%sp' %s`", saved, p, p, omittedRange, p)
	default:
		out.FullOutputPath = p
		return fmt.Sprintf("The full output is saved in %s; inspect it with e.g. `grep -n PATTERN %s` or `sed -n '%sp' %s`", p, p, omittedRange, p)
	}
}
