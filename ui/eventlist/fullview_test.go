package eventlist

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// bigOutput appends a tool call printing lines "line 1".."line n" in 4 KiB
// chunks and returns the model.
func bigOutput(t testing.TB, m *Model, f *feed, id string, n int, finish bool) {
	m.Append(f.action(id, fmt.Sprintf("seq %d", n)))
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	s := b.String()
	for len(s) > 0 {
		k := min(4096, len(s))
		m.Append(f.output(id, s[:k]))
		s = s[k:]
	}
	if finish {
		m.Append(f.obs(id, 0, time.Second))
	}
}

func TestFullView200kLines(t *testing.T) {
	dir := t.TempDir()
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: dir})
	defer m.Close()
	m.Focus()
	m.SetSize(80, 24)
	var f feed
	const n = 200000
	bigOutput(t, m, &f, "big", n, true)

	e := m.entries[0]
	if e.out.spill == nil {
		t.Fatal("a 200k-line output should have spilled to disk")
	}
	if ram := e.out.head.bytes() + e.out.tail.bytes(); int64(ram) > m.maxRAM {
		t.Fatalf("%d bytes of output kept in memory, cap %d", ram, m.maxRAM)
	}
	// Every line is reachable, in order, from memory or the spill file.
	next := 1
	if err := e.out.scan(0, func(i int, line string) bool {
		if want := fmt.Sprintf("line %d", next); line != want || i != next-1 {
			t.Fatalf("line index %d = %q, want %q", i, line, want)
		}
		next++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if next != n+1 {
		t.Fatalf("scanned %d lines, want %d", next-1, n)
	}

	press(m, "enter")
	if !m.FullOutputOpen() || !m.CapturingInput() {
		t.Fatal("enter should open the full output")
	}
	v := m.View()
	checkBox(t, v, 80, 24)
	mustContain(t, v, "lines 1–22 of 200000", "     1 │ line 1\n")

	press(m, "end")
	v = m.View()
	mustContain(t, v, "lines 199979–200000 of 200000", "200000 │ line 200000")
	press(m, "pgup")
	v = m.View()
	mustContain(t, v, "199958 │ line 199958")
	mustNotContain(t, v, "line 200000")
	press(m, "home")
	mustContain(t, m.View(), "     1 │ line 1\n")
	press(m, "pgdown", "down", "j")
	mustContain(t, m.View(), "    24 │ line 24\n")

	for _, k := range []int{77777, 123456, 199999, 100000} {
		press(m, "/", "ctrl+u")
		typeText(m, fmt.Sprintf("line %d", k))
		press(m, "enter")
		mustContain(t, m.View(), fmt.Sprintf("%6d │ line %d\n", k, k), fmt.Sprintf("· line %d", k))
	}
	// Forward from 100000, "line 150" first matches 150000; n and N step.
	press(m, "/", "ctrl+u")
	typeText(m, "line 150")
	press(m, "enter")
	mustContain(t, m.View(), "150000 │ line 150000\n", "· line 150000")
	press(m, "n")
	mustContain(t, m.View(), "· line 150001")
	press(m, "N", "N")
	mustContain(t, m.View(), "· line 15099", "15099 │ line 15099\n")
	// Wrapping: from the top, backwards finds the last match.
	press(m, "home", "N")
	mustContain(t, m.View(), "· line 150999")

	press(m, "esc")
	if m.FullOutputOpen() {
		t.Fatal("esc should close the full view")
	}
	if e.out.spill.r != nil {
		t.Fatal("closing the full view should release the read descriptor")
	}
}

func TestFullViewFollowsRunningOutput(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 10)
	var f feed
	bigOutput(t, m, &f, "r", 100, false)
	press(m, "enter")
	mustContain(t, m.View(), "line 100\n")
	m.Append(f.output("r", "line 101\npart"))
	v := m.View()
	mustContain(t, v, "line 101\n", "102 │ part")
	press(m, "up")
	m.Append(f.output("r", "ial\nline 103\n"))
	v = m.View()
	mustNotContain(t, v, "line 103")
	press(m, "G")
	mustContain(t, m.View(), "102 │ partial", "103 │ line 103")
}

func TestFullViewSidewaysScroll(t *testing.T) {
	m := plain(t)
	m.SetSize(30, 6)
	var f feed
	m.Append(f.action("w", "wide"))
	m.Append(f.output("w", strings.Repeat("a", 100)+"TARGET"+strings.Repeat("b", 50)+"\n"))
	m.Append(f.obs("w", 0, 0))
	press(m, "enter")
	mustNotContain(t, m.View(), "TARGET")
	press(m, "/")
	typeText(m, "target")
	press(m, "enter")
	mustContain(t, m.View(), "TARGET")
	press(m, "home")
	mustNotContain(t, m.View(), "TARGET")
	for i := 0; i < 12; i++ {
		press(m, "right")
	}
	mustContain(t, m.View(), "TARG")
}

// Random chunk boundaries (inside UTF-8 sequences, between CR and LF) must
// not change the lines.
func TestChunkBoundaries(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var want []string
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		l := fmt.Sprintf("%d héllo 世界 🎉 x", i)
		want = append(want, l)
		b.WriteString(l)
		if i%3 == 0 {
			b.WriteString("\r\n")
		} else {
			b.WriteString("\n")
		}
	}
	s := b.String()
	for _, ramCap := range []int64{1 << 10, 1 << 20} {
		o := newOutStore(ramCap, t.TempDir(), discardLogger())
		rest := s
		for len(rest) > 0 {
			k := min(1+rng.Intn(50), len(rest))
			o.write("stdout", rest[:k])
			rest = rest[k:]
		}
		o.finish()
		if o.lines() != len(want) {
			t.Fatalf("cap %d: %d lines, want %d", ramCap, o.lines(), len(want))
		}
		got, err := o.window(0, len(want))
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("cap %d: line %d = %q, want %q", ramCap, i, got[i], want[i])
			}
		}
		if err := o.close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLongLineIsSplitNotLost(t *testing.T) {
	o := newOutStore(1<<20, t.TempDir(), discardLogger())
	defer o.close()
	long := strings.Repeat("x", 3*maxLineBytes+10)
	o.write("stdout", long[:100])
	o.write("stdout", long[100:])
	o.write("stdout", "\n")
	got, err := o.window(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || strings.Join(got, "") != long {
		t.Fatalf("long line stored as %d pieces totalling %d bytes, want 4 pieces of the whole %d", len(got), len(strings.Join(got, "")), len(long))
	}
}

func TestLateOutputAfterResult(t *testing.T) {
	dir := t.TempDir()
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: dir, MaxOutputRAM: 2 << 10})
	defer m.Close()
	m.SetSize(60, 10)
	var f feed
	bigOutput(t, m, &f, "x", 1000, true)
	m.Append(f.output("x", "late line\n"))
	if m.Len() != 1 {
		t.Fatalf("late output made %d entries, want 1", m.Len())
	}
	o := m.entries[0].out
	got, err := o.window(990, 20)
	if err != nil {
		t.Fatal(err)
	}
	if got[len(got)-1] != "late line" || got[0] != "line 991" {
		t.Fatalf("window = %q", got)
	}
	o.finish()
}

func TestFullViewMouseWheel(t *testing.T) {
	m := plain(t)
	m.SetSize(40, 8)
	var f feed
	toolWithLines(&f, m, "w", 100)
	press(m, "enter")
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	mustContain(t, m.View(), "  4 │ line 4\n")
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	mustContain(t, m.View(), "  1 │ line 1\n")
}

func TestEmptyLineFloodStaysInBudget(t *testing.T) {
	o := newOutStore(64<<10, t.TempDir(), discardLogger())
	defer o.close()
	o.write("stdout", strings.Repeat("\n", 1_000_000))
	if c := o.head.cost() + o.tail.cost(); c > 64<<10 {
		t.Fatalf("empty lines cost %d bytes in memory, budget %d", c, 64<<10)
	}
	if o.lines() != 1_000_000 {
		t.Fatalf("%d lines, want 1000000", o.lines())
	}
	got, err := o.window(500_000, 3)
	if err != nil || len(got) != 3 || got[0] != "" {
		t.Fatalf("window = %q, %v", got, err)
	}
}
