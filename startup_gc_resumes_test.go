package main

import (
	"runtime/debug"
	"testing"
)

// Start-up holds the garbage collector off, then gives back exactly the
// GOGC setting it found (not the default): a user's GOGC=200 or GOGC=off
// survives the hold.
func TestStartupGCHoldResumesTheSettingItFound(t *testing.T) {
	orig := debug.SetGCPercent(77)
	defer debug.SetGCPercent(orig)
	resume := holdGC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("during the hold GOGC is %d, want off (-1)", got)
	}
	resume()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Fatalf("after the hold GOGC is %d, want the 77 it found", got)
	}
	resume() // the timer's own call later changes nothing
	if got := debug.SetGCPercent(77); got != 77 {
		t.Fatalf("a second resume set GOGC to %d", got)
	}
}
