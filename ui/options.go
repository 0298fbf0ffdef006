package ui

import (
	"time"
)

// Options tune the UI. The zero value is usable.
type Options struct {
	// NoColor renders without colour (bold/faint/reverse only). The caller
	// passes os.Getenv("NO_COLOR") != "".
	NoColor bool
	// Replay marks a read-only screen; NewReplay sets it.
	Replay bool
	// Now is the clock (uptime, elapsed time); nil means time.Now. Tests fix it.
	Now func() time.Time
	// NoAnimation freezes the spinner on one frame and stops the periodic
	// clock tick (stable screenshots, reduced motion).
	NoAnimation bool
	// SpillDir is where the event stream keeps large tool output off the
	// heap; "" lets the event list pick its default.
	SpillDir string
	// MaxOutputRAM caps the tool output the event stream keeps in memory;
	// 0 lets the event list pick its default.
	MaxOutputRAM int64
	// ShutdownTimeout bounds Engine.Shutdown when quitting; 0 means 2 minutes
	// (deleting a remote sandbox can be slow).
	ShutdownTimeout time.Duration
	// QuitDelay is how long the finished teardown stays on screen before the
	// program exits; 0 means 600ms, negative means no delay.
	QuitDelay time.Duration
	// Light starts with the light palette until the terminal reports its
	// background colour (the UI asks at start; dark is the default guess).
	Light bool
	// Embedded runs the Model inside a parent (ui/fleet): asking to quit
	// sends QuitRequestMsg to the parent instead of tearing down.
	Embedded bool
	// History is the prompt history from earlier runs, oldest first: ↑
	// recalls it from the first keystroke.
	History []string
	// SaveHistory keeps a sent prompt for later runs; it is called off the
	// UI goroutine (it writes a file). Nil: history lasts this run only.
	SaveHistory func(prompt string)
	// Width and Height are the terminal's size when the caller knows it
	// (0: 80×24 until the first resize message), so the first frame is
	// drawn once at the real size rather than at 80×24 and then again.
	Width, Height int
	// NativeClipboard, when set, also puts copied text on the system
	// clipboard (for terminals that ignore OSC 52); it is called off the
	// UI goroutine.
	NativeClipboard func(text string) error
	// Fork starts a branch of the session engine shows (the fork key in
	// the stream); the screen then shows the branch. It runs in a
	// tea.Cmd. Embedded screens ask their parent instead (ForkRequestMsg).
	Fork func(from Engine, req ForkRequest) (Engine, error)
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) shutdownTimeout() time.Duration {
	if o.ShutdownTimeout > 0 {
		return o.ShutdownTimeout
	}
	return 2 * time.Minute
}

func (o Options) quitDelay() time.Duration {
	switch {
	case o.QuitDelay < 0:
		return 0
	case o.QuitDelay == 0:
		return 600 * time.Millisecond
	}
	return o.QuitDelay
}
