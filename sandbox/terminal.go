package sandbox

import (
	"context"
	"io"
)

// Terminal is a Sandbox that can start an interactive shell on a
// pseudo-terminal: the transport of the terminal tool (one persistent shell
// per agent session) and of anything that hands the user a live shell.
// Both providers implement it. What runs over the shell (how commands are
// framed, how completion is detected) belongs to the consumer; see
// sandbox/shellrun for the protocol the terminal tool uses.
type Terminal interface {
	OpenShell(ctx context.Context, spec ShellSpec) (Shell, error)
}

// ShellSpec describes a shell to open. Zero values mean the defaults.
type ShellSpec struct {
	Cwd  string            // starting directory; empty means WorkDir()
	Env  map[string]string // extra environment variables
	Cols int               // terminal width; default 200
	Rows int               // terminal height; default 50
}

// Shell is one interactive shell on a pseudo-terminal in a sandbox. Its
// output is the terminal's raw byte stream; input is raw bytes too (a line
// of text, or keys such as "\x03" for Ctrl+C).
//
// Reading never holds up the sandbox side: implementations buffer output
// as it arrives, so a slow reader costs memory, not a dropped connection.
type Shell interface {
	// Read returns output as it arrives; io.EOF once the shell has ended
	// and everything it printed was read.
	io.Reader
	// Send types p into the terminal.
	Send(ctx context.Context, p []byte) error
	// Resize changes the terminal's size (the shell gets SIGWINCH).
	Resize(ctx context.Context, cols, rows int) error
	// KillTagged SIGKILLs every process in the sandbox whose environment
	// holds the entry env ("NAME=value"), wherever it moved (nohup, &,
	// setsid), repeating until none is left. The shell itself is spared
	// unless it was started with that entry.
	KillTagged(ctx context.Context, env string) error
	// Done is closed when the shell has ended.
	Done() <-chan struct{}
	// ExitCode is the shell's exit status once Done is closed; -1 when it
	// was killed or is unknown.
	ExitCode() int
	// Close kills the shell and every process it started and releases the
	// terminal. It is safe to call twice.
	Close(ctx context.Context) error
}

// Default terminal size of ShellSpec.
const (
	DefaultShellCols = 200
	DefaultShellRows = 50
)
