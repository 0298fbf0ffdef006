package gchold

import (
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// gogc reads GOGC without setting it: -1 when the collector is off.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(int64(s[0].Value.Uint64()))
}

// A hold turns the collector off, then gives back exactly the GOGC it
// found (not the default): a user's GOGC=200 or GOGC=off survives it.
func TestHoldGivesBackTheSettingItFound(t *testing.T) {
	orig := debug.SetGCPercent(77)
	defer debug.SetGCPercent(orig)
	h := begin(time.Hour)
	if got := gogc(); got != -1 {
		t.Fatalf("during the hold GOGC is %d, want off (-1)", got)
	}
	h.release()
	if got := gogc(); got != 77 {
		t.Fatalf("after the hold GOGC is %d, want the 77 it found", got)
	}
	debug.SetGCPercent(-1)
	h.release() // a second release (the timer's, later) changes nothing
	if got := gogc(); got != -1 {
		t.Fatalf("a second release set GOGC to %d", got)
	}
}

// A setting made during the hold (a program's own SetGCPercent) is not
// overwritten when the hold ends.
func TestHoldKeepsASettingMadeDuringIt(t *testing.T) {
	orig := debug.SetGCPercent(77)
	defer debug.SetGCPercent(orig)
	h := begin(time.Hour)
	debug.SetGCPercent(55)
	h.release()
	if got := gogc(); got != 55 {
		t.Fatalf("after the hold GOGC is %d, want the 55 set during it", got)
	}
}

// The hold ends by itself after its window.
func TestHoldEndsAfterItsWindow(t *testing.T) {
	orig := debug.SetGCPercent(77)
	defer debug.SetGCPercent(orig)
	begin(time.Millisecond)
	for deadline := time.Now().Add(10 * time.Second); gogc() != 77; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d 10 s after a 1 ms hold", gogc())
		}
	}
}
