package main

import (
	"os"
	"runtime"

	"github.com/charmbracelet/x/term"
	"github.com/mattn/go-runewidth"

	// Holds the garbage collector off from before the package
	// initialisers to past the first frame (see the package).
	_ "github.com/tether-dev/tether/internal/gchold"
)

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

// warmWidthTable builds, on another core, the table the renderer reads
// every cell's width from. Bubble Tea measures cells with go-runewidth
// (wcwidth, unless the terminal reports Unicode core mode), which fills a
// 2.2 MB lookup table on the first rune past U+02FF — the first box-drawing
// character of the first frame: ~1.5 ms of CPU and ~550 page faults that
// otherwise run in the renderer, between the first view and its frame.
func warmWidthTable() { go runewidth.RuneWidth('─') }

// minProcs is the fewest Ps (GOMAXPROCS) tether runs with when the user
// has not set GOMAXPROCS: two more than this machine's 2 cores.
const minProcs = 4

// spareProcs raises GOMAXPROCS to minProcs. A goroutine in a blocking raw
// syscall keeps its P until the runtime's monitor takes it back, and the
// monitor, once the program has been quiet, looks only every 10 ms. Bubble
// Tea's input reader waits in epoll_wait that way after every key, and
// every command's Wait in waitid: on two cores both Ps were held so, with
// the renderer's goroutine runnable and nowhere to run, for ~10 ms in
// most start-ups (execution trace). Spare Ps let it run at once; the
// kernel still shares the cores.
func spareProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(procsFor(runtime.GOMAXPROCS(0)))
}

// procsFor is how many Ps to run with when the runtime chose n.
func procsFor(n int) int { return max(n, minProcs) }
