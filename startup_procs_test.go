package main

import (
	"runtime"
	"testing"
)

// tether runs with spare Ps (see spareProcs) unless the user chose
// GOMAXPROCS, which it leaves alone.
func TestSpareProcsUnlessTheUserChose(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "")
	spareProcs()
	if got := runtime.GOMAXPROCS(0); got < minProcs {
		t.Errorf("GOMAXPROCS %d on a 2-P start, want at least %d", got, minProcs)
	}
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "2")
	spareProcs()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS=2 set by the user became %d", got)
	}
}
