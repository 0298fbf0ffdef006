// Package sandbox owns the lifecycle of the places where an agent's commands
// run: creating them, running commands with live output, moving files, and
// making sure nothing tether created is left running or billed.
//
// It defines the Provider and Sandbox interfaces, Spec and Info, tether's
// labels, the Registry that closes every tracked sandbox on the way out, and
// orphan finding for `tether cleanup`. The implementations live in their own
// packages, so that consumers of these interfaces link neither of them:
// sandbox/local (the embedded default: a workspace directory, isolated with
// bubblewrap) and sandbox/daytona (over the Daytona Go SDK), with its fake
// in sandbox/daytona/daytonatest.
//
// This package knows nothing of the LLM, the agent loop or the UI: it must not
// import llm, session or ui, nor any provider package.
package sandbox

import (
	"context"
	"io"
	"time"
)

// Provider creates, lists and deletes sandboxes of one kind.
type Provider interface {
	// Name is the provider's short name: "local" or "daytona".
	Name() string
	// Create makes a new sandbox and waits until it can run commands.
	// Spec.Labels are merged with tether's own labels (see Labels).
	Create(ctx context.Context, spec Spec) (Sandbox, error)
	// List returns the sandboxes that carry all of the given labels.
	List(ctx context.Context, labels map[string]string) ([]Info, error)
	// Delete removes the sandbox with this id. Deleting one that is already
	// gone is not an error.
	Delete(ctx context.Context, id string) error
}

// Sandbox is one place where commands run.
type Sandbox interface {
	// ID is the provider's identifier for this sandbox.
	ID() string
	// Info reports the sandbox's current, live description.
	Info(ctx context.Context) (Info, error)
	// Exec runs a command with bash and streams its output into
	// req.Stdout and req.Stderr as it is produced. Cancelling ctx or
	// reaching req.Timeout kills the command's whole process tree in the
	// sandbox and returns promptly (within about a second) with the result
	// so far. A command that runs and exits non-zero is not an error: err is
	// for failures to run it at all.
	Exec(ctx context.Context, req ExecRequest) (ExecResult, error)
	// ReadFile returns a file's content. A missing file gives an error for
	// which errors.Is(err, fs.ErrNotExist) holds.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// WriteFile creates or replaces a file, creating parent directories.
	WriteFile(ctx context.Context, path string, data []byte) error
	// GitClone clones url into dir (relative to the work dir when not absolute).
	GitClone(ctx context.Context, req CloneRequest) error
	// WorkDir is the absolute directory commands start in by default.
	WorkDir() string
	// Close stops or deletes the sandbox according to the provider's
	// policy and releases everything it holds. It is safe to call twice.
	Close(ctx context.Context) error
}

// ExecRequest describes one command to run.
type ExecRequest struct {
	Command string            // run as `bash -c Command`
	Cwd     string            // working directory; empty means WorkDir()
	Env     map[string]string // extra environment variables
	Timeout time.Duration     // zero means no timeout beyond ctx
	Stdout  io.Writer         // may be nil; receives output as it is produced
	Stderr  io.Writer         // may be nil; receives output as it is produced
	// Stdin, when set, is the command's standard input, read until EOF or
	// the command ends (a long-lived server speaking over stdio, say). A
	// provider that cannot feed stdin returns ErrNoStdin.
	Stdin io.Reader
}

// ExecResult is what a finished (or killed) command left.
type ExecResult struct {
	ExitCode  int           // the command's exit code; -1 when it was killed
	Duration  time.Duration // wall time from start to exit
	TimedOut  bool          // killed because req.Timeout passed
	Cancelled bool          // killed because ctx was cancelled
}

// CloneRequest describes a git clone.
type CloneRequest struct {
	URL      string
	Dir      string
	Branch   string
	Commit   string
	Username string
	Password string // a secret: never logged
}

// Spec describes a sandbox to create. Zero values mean the provider's default.
//
// Rules the providers apply:
//   - Daytona: CPU, MemoryGB and DiskGB take effect only with Image (a
//     snapshot brings its own resources; the SDK sends them only with an
//     image); Snapshot wins over Image when both are set; Ephemeral forces
//     auto-delete at stop.
//   - local: Image, Snapshot and Target are ignored; the limits come from
//     the provider's options ([local] cpu, memory_gb, pids, disk_gb). Every
//     sandbox has a private /tmp and HOME beside its workspace, so a path
//     under /tmp written by one command is seen by the next in the same
//     sandbox but not by the host or another sandbox.
//   - Labels are merged with tether's own (see TetherLabels); Env names
//     must be non-empty and contain no "=".
type Spec struct {
	Name     string
	Image    string // container image (Daytona)
	Snapshot string // snapshot name (Daytona); wins over Image when both set
	Target   string // region/target (Daytona)
	Labels   map[string]string
	Env      map[string]string
	CPU      int // cores
	MemoryGB int
	DiskGB   int

	Ephemeral         bool
	AutoStopMinutes   *int
	AutoDeleteMinutes *int
	CreateTimeout     time.Duration

	// Network: "" or "on" allows network (local bwrap: egress only, in
	// its own network namespace), "off" blocks it (local bwrap, Daytona
	// networkBlockAll); the local provider also takes "host" (its
	// NetworkHost: this machine's network, shared).
	Network string

	// OnState, when set, is called with each state the sandbox passes
	// through while it is created (for example "creating", "started").
	OnState func(state string)
}

// Info is a description of a sandbox, as live as the provider can make it.
// Fields a provider cannot know are left zero.
type Info struct {
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Provider  string            `json:"provider"`
	State     string            `json:"state"`
	Image     string            `json:"image,omitempty"`
	Snapshot  string            `json:"snapshot,omitempty"`
	Target    string            `json:"target,omitempty"`
	CPU       int               `json:"cpu,omitempty"`
	MemoryGB  int               `json:"memory_gb,omitempty"`
	DiskGB    int               `json:"disk_gb,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	WorkDir   string            `json:"work_dir,omitempty"`
	// Isolation says how commands are confined, e.g. "bwrap" or
	// "none (bubblewrap not installed)". Local provider only.
	Isolation string `json:"isolation,omitempty"`
	// Limits says how CPU, memory, processes and disk are bounded and by
	// what mechanism. Mounts lists extra host paths the sandbox sees
	// ("/src at /dst (ro)"). Local provider only.
	Limits string   `json:"limits,omitempty"`
	Mounts []string `json:"mounts,omitempty"`
	// Network says what the sandbox's commands can reach, e.g. "egress
	// only (...)", "off (...)" or "host (...)". Local provider only.
	Network string `json:"network,omitempty"`
}

// Labels every sandbox tether creates carries, so `tether cleanup` can find
// what a crash left behind.
const (
	LabelCreatedBy = "created-by" // value: CreatedByTether
	LabelRunID     = "tether-run-id"
	LabelHost      = "tether-host" // hostname of the tether process
	LabelPID       = "tether-pid"  // pid of the tether process

	CreatedByTether = "tether"
)

// States shared by providers (Daytona reports more; they pass through as is).
const (
	StateCreating = "creating"
	StateStarted  = "started"
	StateStopped  = "stopped"
	StateDeleted  = "destroyed"
	StateError    = "error"
)

// Network policies of Spec.Network (and of providers' defaults).
const (
	NetworkOn  = "on"
	NetworkOff = "off"
)
