package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tether-dev/tether/bench/internal/ptyterm"
	"github.com/tether-dev/tether/bench/internal/stampgen"
)

// promptRest is what follows the prompt marker "┃› " on the lowest row
// that has it (the prompt box is at the bottom; the stream above shows
// sent prompts as "› " without the box's border).
func promptRest(lines []string) (string, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		if _, rest, ok := strings.Cut(lines[i], "┃› "); ok {
			rest, _, _ = strings.Cut(rest, "┃")
			return rest, true
		}
	}
	return "", false
}

// promptIs matches a screen whose prompt box holds exactly text (the
// placeholder, or nothing, for "").
func promptIs(text string) func([]string) bool {
	return func(lines []string) bool {
		rest, ok := promptRest(lines)
		if !ok {
			return false
		}
		if text == "" {
			return strings.HasPrefix(rest, "Tell the agent") || strings.HasPrefix(rest, "No model") || strings.TrimSpace(rest) == ""
		}
		return strings.HasPrefix(rest, text) && (len(rest) == len(text) || rest[len(text)] == ' ')
	}
}

// keySample is one key's send time and how long until the screen showed it.
type keySample struct {
	sent time.Time
	lat  time.Duration
}

// typeKeys types n keys into the prompt (or until stop closes), each once
// the previous one is on screen, gap apart: letters growing to 16, then
// backspaces back to empty. A key not shown within 2 s counts as lost.
func typeKeys(t *ptyterm.Term, n int, gap time.Duration, stop <-chan struct{}) (samples []keySample, lost int) {
	buf := ""
	grow := true
	for i := 0; i < n; i++ {
		select {
		case <-stop:
			return samples, lost
		default:
		}
		key := ""
		if grow {
			c := string(rune('a' + len(buf)%26))
			buf += c
			key = c
			grow = len(buf) < 16
		} else {
			buf = buf[:len(buf)-1]
			key = "\x7f"
			grow = buf == ""
		}
		e := t.Expect(promptIs(buf))
		at := t.Send(key)
		shown, err := e.Wait(2 * time.Second)
		if err != nil {
			lost++
		} else {
			samples = append(samples, keySample{at, shown.Sub(at)})
		}
		time.Sleep(gap)
	}
	return samples, lost
}

func lats(s []keySample) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, k := range s {
		out[i] = k.lat
	}
	return out
}

// idleStats is what an idle screen cost over a while.
type idleStats struct {
	dur          time.Duration
	frames, full int
	bytes        int64
	cpu          time.Duration
}

// measureIdle watches an idle tether for d: output bursts (frames), the
// ones that rewrote at least half the screen's cells (full redraws), bytes
// and the process's CPU time.
func measureIdle(t *ptyterm.Term, d time.Duration) (idleStats, error) {
	t.Bursts()
	c0, err := t.CPU()
	if err != nil {
		return idleStats{}, err
	}
	start := time.Now()
	time.Sleep(d)
	c1, err := t.CPU()
	if err != nil {
		return idleStats{}, err
	}
	s := idleStats{dur: time.Since(start), cpu: c1 - c0}
	for _, b := range t.Bursts() {
		s.frames++
		s.bytes += int64(b.Bytes)
		if b.Bytes >= t.W*t.H/2 {
			s.full++
		}
	}
	return s, nil
}

// promptRun is one prompt's time from enter to its finish on screen, and
// the CPU tether used meanwhile.
type promptRun struct {
	at        time.Time // enter pressed
	wall, cpu time.Duration
	runq      time.Duration // tether's threads runnable but not running (the machine's load)
}

// runPrompt types text, waits for it to show, presses enter and waits for
// the fake model's finish number n on screen.
func runPrompt(t *ptyterm.Term, text string, n int, timeout time.Duration) (promptRun, error) {
	if _, err := t.WaitFor(promptIs(""), 10*time.Second); err != nil {
		return promptRun{}, fmt.Errorf("prompt box not empty before typing: %w", err)
	}
	e := t.Expect(promptIs(text))
	t.Send(text)
	if _, err := e.Wait(10 * time.Second); err != nil {
		return promptRun{}, err
	}
	mark := fmt.Sprintf("(done #%d)", n)
	e = t.Expect(func(l []string) bool { return ptyterm.Contains(l, mark) })
	c0, q0, _ := ptyterm.Sched(t.Cmd.Process.Pid)
	at := t.Send("\r")
	shown, err := e.Wait(timeout)
	c1, q1, _ := ptyterm.Sched(t.Cmd.Process.Pid)
	return promptRun{at: at, wall: shown.Sub(at), cpu: c1 - c0, runq: q1 - q0}, err
}

// lineStats are tick lines' print→screen latencies.
type lineStats struct {
	all, pre, flood []time.Duration
	missing         int
	log             stampgen.Log
}

// lineLatencies matches each tick of a generator log against when the
// screen first showed it or a newer stamp.
func lineLatencies(lg stampgen.Log, seen *stampgen.Seen) lineStats {
	s := lineStats{log: lg}
	for _, ts := range lg.Ticks {
		at, ok := seen.At(ts)
		if !ok {
			s.missing++
			continue
		}
		d := at.Sub(time.Unix(0, ts))
		s.all = append(s.all, d)
		switch {
		case lg.InFlood(ts):
			s.flood = append(s.flood, d)
		case lg.FloodStart == 0 || ts < lg.FloodStart:
			s.pre = append(s.pre, d)
		}
	}
	return s
}

// watchStamps notes the newest stamp on screen after every chunk.
func watchStamps(t *ptyterm.Term) *stampgen.Seen {
	seen := &stampgen.Seen{}
	t.OnChunk(func(at time.Time, _ int, screen func() []string) {
		newest := int64(0)
		for _, l := range screen() {
			newest = max(newest, stampgen.Max(l))
		}
		seen.Note(at, newest)
	})
	return seen
}

// latencyRun is the generator run as a prompt, with keys typed meanwhile.
type latencyRun struct {
	lines        lineStats
	keys, fkeys  []time.Duration // all keys; keys sent during the flood
	lost         int
	wall         time.Duration
	cpu, runq    time.Duration // tether's CPU time and run-queue wait over the run
	floodSeconds float64
}

func measureLatency(t *tether, n int, dur time.Duration, flood int64) (latencyRun, error) {
	var r latencyRun
	gen, err := stampgen.StageWait(t.sandboxBase(), 30*time.Second)
	if err != nil {
		return r, err
	}
	logPath := filepath.Join(filepath.Dir(gen), "ticks.log")
	_ = os.Remove(logPath)
	seen := watchStamps(t.Term)
	defer t.OnChunk(nil)
	// Relative paths: the command runs in the workspace, and a prompt
	// that fits on one row is easy to recognise on screen.
	text := fmt.Sprintf("./%s gen -duration %s -flood %d -log ticks.log", filepath.Base(gen), dur, flood)
	if _, err := t.WaitFor(promptIs(""), 10*time.Second); err != nil {
		return r, err
	}
	e := t.Expect(promptIs(text))
	t.Send(text)
	if _, err := e.Wait(10 * time.Second); err != nil {
		return r, err
	}
	mark := fmt.Sprintf("(done #%d)", n)
	done := t.Expect(func(l []string) bool { return ptyterm.Contains(l, mark) })
	c0, q0, _ := ptyterm.Sched(t.Cmd.Process.Pid)
	start := t.Send("\r")
	stop := make(chan struct{})
	typed := make(chan []keySample, 1)
	lost := make(chan int, 1)
	go func() {
		time.Sleep(200 * time.Millisecond) // the prompt box clears first
		s, l := typeKeys(t.Term, 1<<30, 20*time.Millisecond, stop)
		typed <- s
		lost <- l
	}()
	_, err = done.Wait(dur + 5*time.Minute)
	r.wall = time.Since(start)
	c1, q1, _ := ptyterm.Sched(t.Cmd.Process.Pid)
	r.cpu, r.runq = c1-c0, q1-q0
	close(stop)
	keys := <-typed
	r.lost = <-lost
	if err != nil {
		return r, err
	}
	lg, err := stampgen.ReadLog(logPath)
	if err != nil {
		return r, fmt.Errorf("the generator's log: %w", err)
	}
	r.lines = lineLatencies(lg, seen)
	r.floodSeconds = time.Duration(lg.FloodEnd - lg.FloodStart).Seconds()
	for _, k := range keys {
		r.keys = append(r.keys, k.lat)
		if ns := k.sent.UnixNano(); lg.InFlood(ns) {
			r.fkeys = append(r.fkeys, k.lat)
		}
	}
	clearPrompt(t.Term)
	return r, nil
}

// clearPrompt leaves the prompt box empty (typeKeys leaves up to 16
// letters in it).
func clearPrompt(t *ptyterm.Term) {
	t.Send(strings.Repeat("\x7f", 20))
	_, _ = t.WaitFor(promptIs(""), 5*time.Second)
}
