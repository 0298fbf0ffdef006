package sandbox

import "errors"

// ErrClosed is returned by a sandbox's methods after Close: the sandbox and
// its workspace are gone, so the caller must create a new one.
var ErrClosed = errors.New("sandbox is closed")

// ErrRateLimited matches (errors.Is) a provider's refusal because too many
// requests were made, after its own retries: callers fanning out many
// sandboxes should slow down and try again rather than fail.
var ErrRateLimited = errors.New("rate limited by the sandbox provider")

// ErrNoStdin is returned by a provider's Exec when ExecRequest.Stdin is set
// but it has no way to feed a command's standard input.
var ErrNoStdin = errors.New("this sandbox provider cannot feed a command's standard input")

// ErrNotFound matches (errors.Is) a provider's answer that what was asked
// for (a sandbox, a snapshot) does not exist there (any more).
var ErrNotFound = errors.New("not found at the sandbox provider")
