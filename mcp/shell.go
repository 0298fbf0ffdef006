package mcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tether-dev/tether/sandbox"
)

// A sandbox whose Exec takes no stdin (Daytona: its session commands have
// none) can still run a stdio server if it has a terminal: the server runs
// on a shell of its own, switched to raw mode so that neither direction is
// touched by the line discipline (no echo, no CR/LF mapping, no signal
// keys, no line-length limit), with stderr going to a file that is read
// for the error text when the server ends. The bytes the shell prints
// before the server starts (prompt, the echoed command line) are dropped
// up to a start marker the command line cannot contain as typed (its
// \036 is written as an escape).

const (
	shellMarkerWindow = 64 << 10 // output searched for the start marker
	shellErrTail      = 2048     // bytes of stderr kept for error text
)

// runOnShell runs s's command on a new shell of term until it exits or ctx
// ends (then the shell and everything it started are killed). stdin is
// typed into the terminal as it comes; what the server prints after the
// marker goes to stdout. Its stderr's last bytes go to stderr at the end.
func runOnShell(ctx context.Context, sb sandbox.Sandbox, term sandbox.Terminal, s Server, stdin io.Reader, stdout io.Writer, stderr io.Writer) (int, error) {
	sh, err := term.OpenShell(ctx, sandbox.ShellSpec{Env: s.Env, Cols: 500, Rows: 50})
	if err != nil {
		return -1, fmt.Errorf("open a terminal for it: %w", err)
	}
	defer sh.Close(context.WithoutCancel(ctx))
	nonce := randomHex()
	errFile := "/tmp/tether-mcp-" + nonce + ".err"
	line := fmt.Sprintf(" stty raw -echo -iexten 2>/dev/null; printf '\\036%s\\036'; exec sh -c %s 2>%s\n",
		nonce, sandbox.ShellQuote(s.Command), errFile)
	if err := sh.Send(ctx, []byte(line)); err != nil {
		return -1, fmt.Errorf("start it on the terminal: %w", err)
	}
	started := make(chan error, 1)
	go func() { started <- copyAfterMarker(stdout, sh, []byte("\x1e"+nonce+"\x1e")) }()
	go typeInto(ctx, sh, stdin)
	select {
	case <-ctx.Done():
		return -1, ctx.Err()
	case <-sh.Done():
	}
	code := sh.ExitCode()
	if err := <-started; err != nil {
		return code, err
	}
	if data, err := sb.ReadFile(context.WithoutCancel(ctx), errFile); err == nil {
		if len(data) > shellErrTail {
			data = data[len(data)-shellErrTail:]
		}
		_, _ = stderr.Write(data)
	}
	_, _ = sandbox.Run(context.WithoutCancel(ctx), sb, "rm -f "+errFile)
	return code, nil
}

// copyAfterMarker drops r's output up to and including marker, then copies
// the rest to w until r ends.
func copyAfterMarker(w io.Writer, r io.Reader, marker []byte) error {
	var seen []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		seen = append(seen, buf[:n]...)
		if i := bytes.Index(seen, marker); i >= 0 {
			if _, werr := w.Write(seen[i+len(marker):]); werr != nil {
				return nil // the reader side is gone: the server is being closed
			}
			_, _ = io.CopyBuffer(w, r, buf)
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the terminal ended before the server started")
			}
			return err
		}
		if len(seen) > shellMarkerWindow {
			return fmt.Errorf("the server did not start: the terminal printed %d bytes without the start marker", len(seen))
		}
	}
}

// typeInto sends what the client writes to the server's terminal.
func typeInto(ctx context.Context, sh sandbox.Shell, r io.Reader) {
	buf := make([]byte, 16<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if sh.Send(ctx, buf[:n]) != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
