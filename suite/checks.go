package suite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tether-dev/tether/internal/tailbuf"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// outputTail is how much of a command's output a failure message quotes.
const outputTail = 2048

// setup clones, uploads and runs the setup commands, stopping at the first
// failure with a reason that says which step failed and how.
func (r *runner) setup(ctx context.Context, sb sandbox.Sandbox, c Case, tr *tracker) error {
	su := c.Setup
	if su.Repo != "" {
		tr.state(StateSetup, "cloning "+su.Repo)
		cctx, cancel := context.WithTimeout(ctx, su.Timeout)
		err := sb.GitClone(cctx, sandbox.CloneRequest{URL: su.Repo, Dir: su.Dir, Branch: su.Branch, Commit: su.Commit})
		cancel()
		if err != nil {
			return fmt.Errorf("setup failed: clone %s: %w", su.Repo, err)
		}
	}
	for _, f := range su.Files {
		tr.state(StateSetup, "uploading "+f.Path)
		if err := sb.WriteFile(ctx, f.Path, f.Content); err != nil {
			return fmt.Errorf("setup failed: upload %s: %w", f.Path, err)
		}
	}
	for i, cmd := range su.Commands {
		tr.state(StateSetup, "running "+cmd)
		out := tailbuf.New(outputTail)
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: cmd, Timeout: su.Timeout, Stdout: out, Stderr: out})
		what := fmt.Sprintf("setup command %d (%s)", i+1, oneLine(cmd, 80))
		switch {
		case err != nil:
			return fmt.Errorf("setup failed: %s could not run: %w", what, err)
		case res.Cancelled:
			return fmt.Errorf("setup failed: %s was cancelled", what)
		case res.TimedOut:
			return fmt.Errorf("setup failed: %s timed out after %s (raise setup.timeout)%s", what, su.Timeout, quoteTail(out))
		case res.ExitCode != 0:
			return fmt.Errorf("setup failed: %s exited %d%s", what, res.ExitCode, quoteTail(out))
		}
	}
	return nil
}

// runChecks runs every check (a failing one does not stop the others, so
// the report shows all that is wrong).
func runChecks(ctx context.Context, sb sandbox.Sandbox, c Case, status session.State, reason string) []CheckResult {
	out := make([]CheckResult, 0, len(c.Checks))
	for _, ch := range c.Checks {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		cr := CheckResult{Name: ch.Name, Kind: ch.Kind}
		switch ch.Kind {
		case CheckStatus:
			cr.Passed = string(status) == ch.Status
			cr.Message = "agent ended " + string(status)
			if reason != "" {
				cr.Message += ": " + reason
			}
			if !cr.Passed {
				cr.Message = fmt.Sprintf("expected status %s, %s", ch.Status, cr.Message)
			}
		case CheckCommand:
			cr.Passed, cr.Message = checkCommand(ctx, sb, ch)
		case CheckFile:
			cr.Passed, cr.Message = checkFile(ctx, sb, ch)
		}
		cr.Message = sanitize(cr.Message)
		cr.Duration = time.Since(start)
		out = append(out, cr)
	}
	return out
}

func checkCommand(ctx context.Context, sb sandbox.Sandbox, ch Check) (bool, string) {
	out := tailbuf.New(outputTail)
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: ch.Command, Timeout: ch.Timeout, Stdout: out, Stderr: out})
	switch {
	case err != nil:
		return false, "could not run: " + err.Error()
	case res.TimedOut:
		return false, fmt.Sprintf("timed out after %s%s", ch.Timeout, quoteTail(out))
	case res.Cancelled:
		return false, "cancelled"
	case res.ExitCode != 0:
		return false, fmt.Sprintf("exited %d%s", res.ExitCode, quoteTail(out))
	}
	return true, strings.TrimSpace(tail(tailString(out), 200))
}

func checkFile(ctx context.Context, sb sandbox.Sandbox, ch Check) (bool, string) {
	data, err := sb.ReadFile(ctx, ch.File)
	if errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Sprintf("%s does not exist", ch.File)
	}
	if err != nil {
		return false, fmt.Sprintf("could not read %s: %v", ch.File, err)
	}
	text := string(data)
	if ch.Contains != "" && !strings.Contains(text, ch.Contains) {
		return false, fmt.Sprintf("%s does not contain %q; it has: %s", ch.File, ch.Contains, quoteContent(text))
	}
	if ch.re != nil && !ch.re.MatchString(text) {
		return false, fmt.Sprintf("%s does not match /%s/; it has: %s", ch.File, ch.Matches, quoteContent(text))
	}
	return true, fmt.Sprintf("%s exists (%d bytes)", ch.File, len(data))
}

func quoteContent(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%q… (%d bytes)", s[:300], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// tailString is the output kept, sanitised, with "…" in front when earlier
// output was dropped (and no broken UTF-8 sequence after it).
func tailString(t *tailbuf.Buffer) string {
	b, dropped := t.Tail()
	if dropped == 0 {
		return sanitize(string(b))
	}
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	return sanitize("…" + string(b))
}

// quoteTail is ":\n<output>" for error messages, or " (no output)".
func quoteTail(t *tailbuf.Buffer) string {
	s := strings.TrimSpace(tailString(t))
	if s == "" {
		return " (no output)"
	}
	return ":\n" + s
}
