package sandbox

import "errors"

// ErrClosed is returned by a sandbox's methods after Close: the sandbox and
// its workspace are gone, so the caller must create a new one.
var ErrClosed = errors.New("sandbox is closed")
