package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
)

func newReplayModel(t *testing.T, evs []session.Event) Model {
	t.Helper()
	m := NewReplay(evs, testOptions())
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	return m
}

func TestReplayStepAndJump(t *testing.T) {
	evs := recording()
	n := len(evs)
	m := newReplayModel(t, evs)
	press(m, "space") // pause the autoplay
	if m.m.replay.playing {
		t.Fatal("space did not pause")
	}
	press(m, "right", "l")
	if m.m.replay.pos != 2 {
		t.Fatalf("pos after two steps = %d", m.m.replay.pos)
	}
	press(m, ">")
	if m.m.replay.pos != n || !strings.Contains(screen(m), "finished") {
		t.Fatalf("> : pos %d/%d; screen:\n%s", m.m.replay.pos, n, screen(m))
	}
	if !strings.Contains(screen(m), "There is one Go file") {
		t.Fatalf("the last assistant message is not on screen:\n%s", screen(m))
	}
	// Stepping back rebuilds the stream without the last events.
	press(m, "left", "h")
	s := screen(m)
	if m.m.replay.pos != n-2 || strings.Contains(s, "There is one Go file") || m.m.sess.state != session.StateRunning {
		t.Fatalf("after two steps back: pos %d, state %s; screen:\n%s", m.m.replay.pos, m.m.sess.state, s)
	}
	if !strings.Contains(s, "event 10/12") {
		t.Fatalf("position not shown:\n%s", s)
	}
	press(m, "<")
	if m.m.replay.pos != 0 || m.m.sbx.info != nil || m.m.sess.usage != nil {
		t.Fatalf("< : pos %d, sandbox %v, usage %v", m.m.replay.pos, m.m.sbx.info, m.m.sess.usage)
	}
	press(m, "left") // at the start: stays
	if m.m.replay.pos != 0 {
		t.Fatalf("pos went below 0: %d", m.m.replay.pos)
	}
}

func TestReplaySpeedsAndGaps(t *testing.T) {
	evs := recording()
	evs[3].Time = evs[2].Time.Add(time.Hour) // a long pause in the recording
	for i := 4; i < len(evs); i++ {
		evs[i].Time = evs[3].Time.Add(time.Duration(i-3) * 500 * time.Millisecond)
	}
	m := newReplayModel(t, evs)
	r := m.m.replay
	if got := r.gap(3); got != maxReplayGap {
		t.Fatalf("1×: an hour's gap plays as %v, want %v", got, maxReplayGap)
	}
	if got := r.gap(4); got != 500*time.Millisecond {
		t.Fatalf("1×: gap(4) = %v", got)
	}
	press(m, "+")
	if got := r.gap(4); got != 250*time.Millisecond || r.speedLabel() != "2×" {
		t.Fatalf("2×: gap %v, label %s", got, r.speedLabel())
	}
	press(m, "+", "+", "+", "+")
	if r.speedLabel() != "max" || r.gap(3) != 0 {
		t.Fatalf("max: label %s gap %v", r.speedLabel(), r.gap(3))
	}
	press(m, "-")
	if r.speedLabel() != "20×" {
		t.Fatalf("- from max: %s", r.speedLabel())
	}
}

func TestReplayTicks(t *testing.T) {
	evs := recording()
	m := newReplayModel(t, evs)
	r := m.m.replay
	cmd := m.Init()
	if !r.playing || cmd == nil {
		t.Fatal("replay does not start playing")
	}
	stale := replayTickMsg{gen: r.gen - 1}
	update(m, stale)
	if r.pos != 0 {
		t.Fatalf("a stale tick applied events: pos %d", r.pos)
	}
	update(m, replayTickMsg{gen: r.gen})
	if r.pos != 1 {
		t.Fatalf("one tick at 1× with 700ms gaps applied %d events, want 1", r.pos)
	}
	// At max speed one tick applies everything left.
	press(m, "+", "+", "+", "+")
	update(m, replayTickMsg{gen: r.gen})
	if r.pos != len(evs) || r.playing {
		t.Fatalf("max: pos %d/%d, playing %v", r.pos, len(evs), r.playing)
	}
	// Space at the end plays again from the start.
	press(m, "space")
	if r.pos != 0 || !r.playing {
		t.Fatalf("space at end: pos %d, playing %v", r.pos, r.playing)
	}
}

func TestReplayIsReadOnly(t *testing.T) {
	m := newReplayModel(t, recording())
	typeText(m, "yes")
	press(m, "enter", "ctrl+a", "tab")
	if m.m.approval.active() || m.m.focus != focusStream {
		t.Fatalf("replay: approval %v, focus %v", m.m.approval.active(), m.m.focus)
	}
	if cmd := update(m, keyMsg("q")); cmd == nil {
		t.Fatal("q does not quit the replay")
	} else if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q does not quit the replay")
	}
}

func TestUnescapeHTML(t *testing.T) {
	for in, want := range map[string]string{
		`"a \u0026\u0026 b \u003e c"`: `"a && b > c"`,
		`"\\u0026"`:                   `"\\u0026"`,
		`"\u00e9 \n"`:                 `"\u00e9 \n"`,
		`plain`:                       `plain`,
	} {
		if got := unescapeHTML(in); got != want {
			t.Errorf("unescapeHTML(%s) = %s, want %s", in, got, want)
		}
	}
}
