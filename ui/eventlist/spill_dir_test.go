package eventlist

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A spill directory that does not exist yet (tether passes one under its
// state dir) is created, so the middle of a big output stays reachable.
func TestSpillDirIsCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "spill")
	m := New(Options{SpillDir: dir, MaxOutputRAM: 4 << 10})
	defer m.Close()
	m.Focus()
	m.SetSize(100, 20)
	var f feed
	m.Append(f.action("c", "seq 1 5000"))
	var sb strings.Builder
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&sb, "%d\n", i)
	}
	all := sb.String()
	for i := 0; i < len(all); i += 1000 {
		m.Append(f.output("c", all[i:min(i+1000, len(all))]))
	}
	m.Append(f.obs("c", 0, time.Second))
	press(m, "enter")
	if !m.FullOutputOpen() {
		t.Fatal("full output view did not open")
	}
	lines, err := m.full.e.out.window(2499, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0] != "2500" || lines[1] != "2501" {
		t.Fatalf("lines 2500-2501 = %q, want the output's own lines", lines)
	}
}
