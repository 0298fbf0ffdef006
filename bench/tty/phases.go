package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/tether-dev/tether/bench/internal/ptyterm"
	"github.com/tether-dev/tether/bench/internal/stampgen"
)

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

// pct is the p-th percentile (0..100) of ds, 0 for none.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p/100)]
}

// correlation is Pearson's r of a and b (0 when undefined).
func correlation(a, b []time.Duration) float64 {
	n := float64(min(len(a), len(b)))
	if n < 2 {
		return 0
	}
	var sa, sb, saa, sbb, sab float64
	for i := 0; i < int(n); i++ {
		x, y := float64(a[i]), float64(b[i])
		sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
	}
	cov, va, vb := sab-sa*sb/n, saa-sa*sa/n, sbb-sb*sb/n
	if va <= 0 || vb <= 0 {
		return 0
	}
	return cov / math.Sqrt(va*vb)
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64)
}

// dist reports p50, p99 and max of ds as name_p50_ms etc., and, when the
// floor has the same figure, each as a ratio to it.
func dist(name string, ds []time.Duration, floor []time.Duration) {
	for _, p := range []struct {
		s string
		v float64
	}{{"p50", 50}, {"p99", 99}, {"max", 100}} {
		result(name+"_"+p.s+"_ms", "%s", ms(pct(ds, p.v)))
		if len(floor) > 0 {
			result(name+"_"+p.s+"_x_floor", "%s", ratio(pct(ds, p.v), pct(floor, p.v)))
		}
	}
	result(name+"_n", "%d", len(ds))
}

// floorStats are the stand-in's figures, the harness floor.
type floorStats struct {
	start, keys, lines []time.Duration
}

func measureFloor(self, dir string, c config) (floorStats, error) {
	var fl floorStats
	for i := 0; i < c.startN; i++ {
		t, err := ptyterm.Run(ptyterm.Options{Path: self, Args: []string{"echo"}, Env: tetherEnv(dir, ""), Dir: dir})
		if err != nil {
			return fl, err
		}
		at, err := t.WaitFor(promptIs(""), 10*time.Second)
		if err == nil {
			fl.start = append(fl.start, at.Sub(t.Start))
		}
		if i == 0 && err == nil {
			s, lost := typeKeys(t, c.keys, 20*time.Millisecond, nil)
			fl.keys = lats(s)
			if lost > 0 {
				err = fmt.Errorf("%d keys never shown by the echo stand-in", lost)
			}
		}
		t.Send("\x03")
		_ = t.Close(5 * time.Second)
		if err != nil {
			return fl, err
		}
	}
	logPath := filepath.Join(dir, "floor-ticks.log")
	t, err := ptyterm.Run(ptyterm.Options{Path: self, Args: []string{"gen", "-duration", "3s", "-flood", "0", "-log", logPath},
		Env: tetherEnv(dir, ""), Dir: dir})
	if err != nil {
		return fl, err
	}
	seen := watchStamps(t)
	select {
	case <-t.Exited():
	case <-time.After(30 * time.Second):
	}
	_ = t.Close(5 * time.Second)
	lg, err := stampgen.ReadLog(logPath)
	if err != nil {
		return fl, err
	}
	ls := lineLatencies(lg, seen)
	fl.lines = ls.all
	dist("floor_start", fl.start, nil)
	dist("floor_key", fl.keys, nil)
	dist("floor_line", fl.lines, nil)
	result("floor_line_missing", "%d", ls.missing)
	return fl, nil
}

func measureStartup(c config, dir string, llm *fakeLLM, fl floorStats) error {
	var first, full, started, cpus, runqs []time.Duration
	for i := 0; i < c.startN; i++ {
		t, err := startTether(c.bin, filepath.Join(dir, fmt.Sprintf("start%d", i)), llm.url, 160, 48)
		if err != nil {
			return err
		}
		// At the chunk that completes the first full frame (in the read
		// loop, before anything else runs here): tether's CPU time so far
		// and its threads' time waiting for a CPU.
		var cpu, runq time.Duration
		t.OnChunk(func(at time.Time, n int, screen func() []string) {
			if c.verbose {
				fmt.Fprintf(os.Stderr, "start %d: +%s ms: %d bytes\n", i+1, ms(at.Sub(t.Start)), n)
			}
			if cpu == 0 && isFullFrame(screen()) {
				cpu, runq, _ = ptyterm.Sched(t.Cmd.Process.Pid)
			}
		})
		firstE, fullE := t.Expect(isFirstFrame), t.Expect(isFullFrame)
		at, err := firstE.Wait(20 * time.Second)
		if err == nil {
			first = append(first, at.Sub(t.Start))
			at, err = fullE.Wait(20 * time.Second)
		}
		if err == nil {
			full = append(full, at.Sub(t.Start))
			at, err = t.WaitFor(sandboxStarted, 20*time.Second)
			started = append(started, at.Sub(t.Start))
		}
		t.OnChunk(nil)
		if cpu > 0 {
			cpus, runqs = append(cpus, cpu), append(runqs, runq)
		}
		t.quit()
		if err != nil {
			return err
		}
	}
	dist("start_first_frame", first, fl.start)
	dist("start_full_frame", full, fl.start)
	dist("start_cpu", cpus, nil)        // tether's CPU time to its first full frame
	dist("start_run_queue", runqs, nil) // …and time its threads were runnable but not running
	dist("start_sandbox_shown", started, nil)
	return nil
}

// measureSession runs one tether through the idle, keys, prompts and
// latency phases, in that order.
func measureSession(c config, dir string, llm *fakeLLM, fl floorStats) error {
	t, err := startTether(c.bin, filepath.Join(dir, "session"), llm.url, 160, 48)
	if err != nil {
		return err
	}
	defer t.quit()
	if err := t.waitReady(); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // start-up settles (background colour reply, first clock ticks)
	if c.phases["idle"] {
		s, err := measureIdle(t.Term, c.idle)
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		sec := s.dur.Seconds()
		result("idle_seconds", "%.1f", sec)
		result("idle_frames", "%d", s.frames)
		result("idle_frames_per_s", "%.3f", float64(s.frames)/sec)
		result("idle_full_redraws_per_s", "%.3f", float64(s.full)/sec)
		result("idle_bytes_per_s", "%.1f", float64(s.bytes)/sec)
		result("idle_cpu_pct", "%.3f", 100*s.cpu.Seconds()/sec)
		result("idle_load", "%s", load())
	}
	if c.phases["keys"] {
		s, lost := typeKeys(t.Term, c.keys, 20*time.Millisecond, nil)
		clearPrompt(t.Term)
		dist("key_idle", lats(s), fl.keys)
		result("key_idle_lost", "%d", lost)
		result("key_idle_load", "%s", load())
	}
	if c.phases["prompts"] {
		var wall, cpu, runq []time.Duration
		for i := 0; i < c.prompts; i++ {
			r, err := runPrompt(t.Term, "seq 1 200000", llm.next(), 2*time.Minute)
			if err != nil {
				return fmt.Errorf("prompt %d: %w", i+1, err)
			}
			wall, cpu, runq = append(wall, r.wall), append(cpu, r.cpu), append(runq, r.runq)
			// The wall-clock start lines a prompt up with a TETHER_TRACE.
			fmt.Fprintf(os.Stderr, "prompt %d: %s ms, cpu %s ms, run queue %s ms, at %s\n", i+1, ms(r.wall), ms(r.cpu), ms(r.runq), r.at.UTC().Format("15:04:05.000000"))
			time.Sleep(300 * time.Millisecond)
		}
		// No harness floor: this emulator scrolls every one of the 200000
		// lines seq prints straight to a pty (~26 s), so that is no floor;
		// p99 against the median is the load-free figure.
		dist("prompt_done", wall, nil)
		result("prompt_done_p99_x_p50", "%s", ratio(pct(wall, 99), pct(wall, 50)))
		dist("prompt_cpu", cpu, nil)
		dist("prompt_run_queue", runq, nil)
		result("prompt_wall_runq_corr", "%.2f", correlation(wall, runq))
		result("prompt_wall_cpu_corr", "%.2f", correlation(wall, cpu))
		result("prompt_load", "%s", load())
	}
	if c.phases["latency"] {
		r, err := measureLatency(t, llm.next(), c.dur, c.flood)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		dist("line", r.lines.all, fl.lines)
		dist("line_before_flood", r.lines.pre, fl.lines)
		dist("line_flood", r.lines.flood, fl.lines)
		result("line_missing", "%d", r.lines.missing)
		result("flood_seconds", "%.2f", r.floodSeconds)
		dist("key_during_run", r.keys, fl.keys)
		dist("key_flood", r.fkeys, fl.keys)
		result("key_flood_lost", "%d", r.lost)
		result("latency_cpu_ms", "%s", ms(r.cpu))
		result("latency_run_queue_ms", "%s", ms(r.runq))
		result("latency_wall_ms", "%s", ms(r.wall))
		result("latency_load", "%s", load())
	}
	return nil
}
