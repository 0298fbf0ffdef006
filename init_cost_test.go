package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Package initialisers run before main on every start, whether or not the
// run needs what they build. Measured in bytes allocated (GODEBUG=inittrace,
// deterministic, unlike their time): chroma's lexer and style registries
// (3.7 MB, ~20 ms on a loaded 2-core machine) are built on first use
// (third_party/chroma), and no package's initialiser grows past 1 MiB, nor
// all of them past 5 MiB, without this test saying which. The collector is
// held off (internal/gchold) before the initialisers have allocated half
// the runtime's first heap goal (4 MB): without the hold, a collection
// ran among them in 4 of 6 starts (GODEBUG=gctrace), its mark ~30 % of the
// instructions up to the first frame (callgrind).
func TestPackageInitialisersStayCheap(t *testing.T) {
	if os.Getenv("TETHER_INITTRACE_CHILD") == "1" {
		return // the child only had to start
	}
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates too: the counts are not the program's")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPackageInitialisersStayCheap$")
	debug := "inittrace=1"
	for _, kv := range os.Environ() {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok && v != "" {
			debug = v + ",inittrace=1" // the runtime reads the first GODEBUG only
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "GODEBUG="+debug, "TETHER_INITTRACE_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("re-running the test binary with inittrace: %v\n%s", err, stderr.String())
	}
	const hold = "github.com/tether-dev/tether/internal/gchold"
	var total, beforeHold int64
	seen := map[string]int64{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @T ms, C ms clock, B bytes, N allocs
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		b, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			continue
		}
		seen[f[1]] = b
		total += b
		if f[1] == hold {
			beforeHold = total
		}
	}
	if len(seen) == 0 {
		t.Fatalf("no inittrace lines in the child's stderr:\n%s", stderr.String())
	}
	for _, pkg := range []string{"github.com/alecthomas/chroma/v2/lexers", "github.com/alecthomas/chroma/v2/styles"} {
		if b, ok := seen[pkg]; ok && b > 512<<10 {
			t.Errorf("%s allocates %d KB at init: its registry is built before main again (see third_party/chroma/TETHER.md)", pkg, b>>10)
		}
	}
	for pkg, b := range seen {
		if b > 1<<20 {
			t.Errorf("%s allocates %d KB at init, before every start's first frame: build it on first use", pkg, b>>10)
		}
	}
	if _, ok := seen[hold]; !ok {
		t.Errorf("%s is not initialised: the collector runs during start-up", hold)
	} else if beforeHold > 2<<20 {
		t.Errorf("the initialisers before %s allocate %d KB: the collector's hold comes too late to keep a collection off start-up", hold, beforeHold>>10)
	}
	if total > 5<<20 {
		t.Errorf("package initialisers allocate %d KB in all, before every start's first frame", total>>10)
	}
}
