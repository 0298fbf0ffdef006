package ui

import (
	"strings"
	"testing"
)

// With isolation "none" the screen says, all the time, that the agent runs
// as the user; a confined sandbox shows no such banner.
func TestUnconfinedSandboxShowsBanner(t *testing.T) {
	for _, iso := range []string{"bwrap (user namespace, no capabilities, seccomp)", "none (chosen in configuration): commands run as you, with your files and keys"} {
		eng := newFakeEngine()
		m := newTestModel(t, eng, 100, 30)
		ev := evSandbox("started")
		ev.Sandbox.Isolation = iso
		eng.Emit(ev)
		pump(m, eng)
		got := strings.Contains(screen(m), "not isolated")
		if want := strings.HasPrefix(iso, "none"); got != want {
			t.Fatalf("isolation %q: banner shown = %v, want %v\n%s", iso, got, want, screen(m))
		}
	}
}

// The sandbox pane shows the local sandbox's limits and extra mounts.
func TestSandboxPaneShowsLimitsAndMounts(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 160, 40)
	ev := evSandbox("started")
	ev.Sandbox.Limits = "2 CPU (affinity)"
	ev.Sandbox.Mounts = []string{"/src/pip at /c (ro)"}
	eng.Emit(ev)
	pump(m, eng)
	s := screen(m)
	for _, want := range []string{"limits", "2 CPU (affinity)", "mounts", "/src/pip at /c (ro)"} {
		if !strings.Contains(s, want) {
			t.Fatalf("sandbox pane lacks %q:\n%s", want, s)
		}
	}
}
