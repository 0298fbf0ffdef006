package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
)

// The screen shows two clocks: the run's elapsed time in the status bar
// (to the second, while a run is active) and the sandbox's uptime (to the
// minute). Nothing else on an idle screen moves, so the screen wakes only
// when one of their texts is due to change: an idle session costs one
// small repaint a minute, not one a second.

// clockMsg wakes the screen for a clock; gen drops superseded wake-ups.
type clockMsg struct{ gen int }

// clockState is the one pending wake-up.
type clockState struct {
	gen int
	at  time.Time // zero: none pending
}

// nextClockChange is when a clock on screen next shows a different text
// (zero: none will).
func (a *model) nextClockChange(now time.Time) time.Time {
	if a.replay != nil {
		// The replay's clock runs at its own speed; its ticks redraw too.
		return now.Add(time.Second)
	}
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if a.runActive() && !a.sess.runStart.IsZero() {
		// fmtDuration rounds to the second: the text turns at k s + ½ s.
		e := max(now.Sub(a.sess.runStart), 0)
		k := (e + time.Second/2) / time.Second
		earliest(a.sess.runStart.Add(k*time.Second + time.Second/2))
	}
	if start := a.uptimeStart(); !start.IsZero() && a.sbx.goneAt.IsZero() && !a.sandboxFailed() {
		up := now.Sub(start)
		if up < 0 {
			earliest(start)
		} else {
			earliest(start.Add((up/time.Minute + 1) * time.Minute))
		}
	}
	return next
}

// armClock schedules a wake-up for the next clock change unless one at
// least as early is pending. Update calls it after every message, so a
// run or a sandbox that starts gets its clock going at once.
func (a *model) armClock() tea.Cmd {
	if a.opts.NoAnimation {
		return nil
	}
	now := a.opts.now()
	next := a.nextClockChange(a.now())
	if next.IsZero() {
		return nil
	}
	if a.replay != nil {
		next = now.Add(time.Second)
	}
	if !a.clock.at.IsZero() && !next.Before(a.clock.at) {
		return nil
	}
	a.clock.gen++
	a.clock.at = next
	gen := a.clock.gen
	// A hair late, so the text has surely turned when the frame is drawn.
	d := max(next.Sub(now), 0) + 5*time.Millisecond
	return tea.Tick(d, func(time.Time) tea.Msg { return clockMsg{gen: gen} })
}

// onClock takes a wake-up: the frame that follows redraws the clocks, and
// Update arms the next one.
func (a *model) onClock(msg clockMsg) tea.Cmd {
	if msg.gen == a.clock.gen {
		a.clock.at = time.Time{}
	}
	return nil
}

func (a *model) uptimeStart() time.Time {
	s := a.sbx
	if s.info == nil {
		return time.Time{}
	}
	if !s.info.CreatedAt.IsZero() {
		return s.info.CreatedAt
	}
	return s.firstSeen
}

// fmtUptime is a sandbox's uptime to the minute: "<1m", "42m", "3h05m".
func fmtUptime(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d/time.Minute)%60)
}
