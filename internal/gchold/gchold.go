// Package gchold holds the garbage collector off while tether starts,
// from before the package initialisers run to past the first frame. It
// owns only the GOGC setting during that window and imports nothing but
// runtime/debug, sync and time, so that it is initialised early.
//
// Go initialises packages in import-path order among those whose imports
// are done, so this one runs before the markdown and SDK packages, whose
// initialisers allocate ~3 MB between them: enough to pass the runtime's
// first heap goal (4 MB) and start a collection before main, whose mark
// work and assists land on the path to the first frame (seen with
// GODEBUG=gctrace=1,inittrace=1 and in callgrind: the mark was ~30 % of
// the instructions up to the first frame).
package gchold

import (
	"runtime/debug"
	"sync"
	"time"
)

// Window is how long start-up runs without the garbage collector: past
// the first frame on a loaded machine, short enough that the heap it lets
// grow (start-up allocates a few MB) does not matter.
const Window = 300 * time.Millisecond

// start is the hold begun when this package is initialised.
var start = begin(Window)

// Release ends the start-up hold now (it ends by itself Window after the
// process started). Safe to call more than once.
func Release() { start.release() }

// hold is one hold of the collector.
type hold struct {
	prev int // GOGC when the hold began
	once sync.Once
}

// begin turns the collector off and back on after d (or at release).
func begin(d time.Duration) *hold {
	h := &hold{prev: debug.SetGCPercent(-1)}
	time.AfterFunc(d, h.release) // after an early release, a no-op
	return h
}

// release gives back the GOGC setting the hold found — unless something
// set another one during the hold: that one is kept.
func (h *hold) release() {
	h.once.Do(func() {
		if cur := debug.SetGCPercent(h.prev); cur != -1 {
			debug.SetGCPercent(cur)
		}
	})
}
