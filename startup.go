package main

import (
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/charmbracelet/x/term"
)

// gcHold is how long start-up runs without the garbage collector: past
// the first frame on a loaded machine, short enough that the heap it lets
// grow (start-up allocates a few MB) does not matter.
const gcHold = 300 * time.Millisecond

// holdGC postpones garbage collection while the first frame is built.
// The heap passes the runtime's first goal (4 MB) a few milliseconds into
// the UI's start, and that collection's mark workers then take one of two
// cores, with assists on the UI goroutine, right on the path to the first
// frame (seen in an execution trace of start-up). Collection resumes with
// the GOGC setting it had, after gcHold or when resume is called.
func holdGC() (resume func()) {
	prev := debug.SetGCPercent(-1)
	var once sync.Once
	resume = func() { once.Do(func() { debug.SetGCPercent(prev) }) }
	time.AfterFunc(gcHold, resume)
	return resume
}

// terminalSize is stdout's size when it is a terminal, else 0, 0. The UI
// is built at that size so its first frame is drawn once, at the real
// size, instead of at a default size and again when Bubble Tea's resize
// message arrives.
func terminalSize() (w, h int) {
	if !term.IsTerminal(os.Stdout.Fd()) {
		return 0, 0
	}
	w, h, err := term.GetSize(os.Stdout.Fd())
	if err != nil {
		return 0, 0
	}
	return w, h
}
