// Command latency measures output latency end to end: a command in a local
// sandbox prints a line stamped with the wall clock every millisecond for
// -duration while -flood bytes of (also stamped) output pour out beside it;
// the line goes through the sandbox's pipes, the session's event bus and
// recording, app.Engine, the UI's Update and the Bubble Tea renderer, which
// writes frames to a recorder instead of a terminal (160×48, 60 fps).
//
// What it reports:
//   - line→frame p50/p99: for each stamped tick line, the time from its
//     stamp (taken by the generator right before the write(2) that sends
//     it) to the first frame written to the terminal that shows it or a
//     newer line (a line can scroll past between two frames). A line the
//     live view elided under back-pressure counts as shown when a newer
//     line is; the elided byte count is reported beside it.
//   - key→frame p99: keys typed into the prompt every 20 ms during the
//     run, from tea.Program.Send to the first frame written after the
//     Update that handled the key.
//   - peak RSS of this process (UI, engine, fake model; the command itself
//     is a separate process and not counted).
//
// Limits: the renderer writes to a recorder, not a real terminal, so the
// terminal's own parsing and painting are not counted; the wrapper that
// observes frames adds a string copy per View and a scan per written frame.
// The generator is this binary (`latency gen`), copied into the sandbox's
// workspace (bubblewrap's private /tmp would hide it where go run builds).
//
// Usage: latency [-duration 10s] [-flood 100000000] [-isolation auto]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/tether-dev/tether/bench/internal/rig"
	"github.com/tether-dev/tether/bench/internal/stampgen"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "gen" {
		if err := stampgen.Run(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "latency gen:", err)
			os.Exit(1)
		}
		return
	}
	dur := flag.Duration("duration", 10*time.Second, "how long the command prints a stamped line every millisecond")
	flood := flag.Int64("flood", 100_000_000, "bytes of extra output poured out during the run")
	iso := flag.String("isolation", "", "local sandbox isolation (auto, bwrap, none); default auto")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the run here")
	flag.Parse()
	if *prof != "" {
		if f, err := os.Create(*prof); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*dur, *flood, *iso); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// stampScanner tracks the newest stamp visible in each written frame and
// the newest received by the UI's Update (to split the latency into
// pipeline — sandbox, session, engine — and screen — Update, View,
// renderer — parts).
type stampScanner struct {
	frames, arrived stampgen.Seen
}

func (s *stampScanner) onOutput(t time.Time, data string)   { s.arrived.Note(t, stampgen.Last(data)) }
func (s *stampScanner) onFrame(t time.Time, content string) { s.frames.Note(t, stampgen.Max(content)) }

func run(dur time.Duration, flood int64, iso string) error {
	dir, err := os.MkdirTemp("", "tether-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var sc stampScanner
	r, err := rig.Start(rig.Options{Dir: dir, Isolation: iso, OnFrame: sc.onFrame, OnOutput: sc.onOutput})
	if err != nil {
		return err
	}
	defer r.Close()
	exe, err := stampgen.StageWait(filepath.Join(dir, "sandboxes"), 30*time.Second)
	if err != nil {
		return err
	}

	done := r.Expect(func(p string) bool { return strings.Contains(p, "done #1") })
	start := time.Now()
	r.Prompt(fmt.Sprintf("%s gen -duration %s -flood %d -log ticks.log", exe, dur, flood))
	r.KeyLatencies() // the prompt itself is not a keystroke sample

	// Type during the run: a key, then its backspace, every 20 ms.
	stopTyping := make(chan struct{})
	typed := make(chan struct{})
	go func() {
		defer close(typed)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopTyping:
				return
			case <-t.C:
			}
			if i%2 == 0 {
				r.Type(rig.Key("x"))
			} else {
				r.Type(rig.Key("backspace"))
			}
		}
	}()
	_, err = done.Wait(dur + 5*time.Minute)
	close(stopTyping)
	<-typed
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	time.Sleep(100 * time.Millisecond) // let the last keys draw
	keys := r.KeyLatencies()
	_, peak := rig.RSS()

	logs, _ := filepath.Glob(filepath.Join(dir, "sandboxes", "*", "ticks.log"))
	logs2, _ := filepath.Glob(filepath.Join(dir, "sandboxes", "*", "*", "ticks.log"))
	logs = append(logs, logs2...)
	if len(logs) == 0 {
		return fmt.Errorf("the generator's ticks.log was not found under %s", dir)
	}
	lg, err := stampgen.ReadLog(logs[0])
	if err != nil {
		return err
	}
	ticks, floodStart, floodEnd := lg.Ticks, lg.FloodStart, lg.FloodEnd
	var all, during, pipe, screen, fpipe, fscreen []time.Duration
	missing := 0
	for _, ts := range ticks {
		at, ok := sc.frames.At(ts)
		if !ok {
			missing++
			continue
		}
		d := at.Sub(time.Unix(0, ts))
		all = append(all, d)
		if in, ok := sc.arrived.At(ts); ok {
			pipe = append(pipe, in.Sub(time.Unix(0, ts)))
			screen = append(screen, at.Sub(in))
			if ts >= floodStart && ts <= floodEnd {
				fpipe = append(fpipe, in.Sub(time.Unix(0, ts)))
				fscreen = append(fscreen, at.Sub(in))
			}
		}
		if ts >= floodStart && ts <= floodEnd {
			during = append(during, d)
		}
	}
	fmt.Printf("latency: %d tick lines (%d never shown), flood %d MB in %.2fs, run %.2fs, %d frames, %d bytes elided from the live view\n",
		len(ticks), missing, flood/1e6, time.Duration(floodEnd-floodStart).Seconds(), elapsed.Seconds(), r.Frames(), r.Elided())
	fmt.Printf("RESULT line_to_frame_p50_ms %s\n", rig.Ms(rig.Percentile(all, 50)))
	fmt.Printf("RESULT line_to_frame_p99_ms %s\n", rig.Ms(rig.Percentile(all, 99)))
	fmt.Printf("RESULT line_to_frame_max_ms %s\n", rig.Ms(rig.Percentile(all, 100)))
	fmt.Printf("RESULT line_to_frame_flood_p99_ms %s\n", rig.Ms(rig.Percentile(during, 99)))
	fmt.Printf("RESULT line_to_update_p99_ms %s\n", rig.Ms(rig.Percentile(pipe, 99)))
	fmt.Printf("RESULT update_to_frame_p99_ms %s\n", rig.Ms(rig.Percentile(screen, 99)))
	fmt.Printf("RESULT flood_line_to_update_p99_ms %s\n", rig.Ms(rig.Percentile(fpipe, 99)))
	fmt.Printf("RESULT flood_update_to_frame_p99_ms %s\n", rig.Ms(rig.Percentile(fscreen, 99)))
	fmt.Printf("RESULT key_to_frame_p50_ms %s\n", rig.Ms(rig.Percentile(keys, 50)))
	fmt.Printf("RESULT key_to_frame_p99_ms %s\n", rig.Ms(rig.Percentile(keys, 99)))
	fmt.Printf("RESULT keys %d\n", len(keys))
	fmt.Printf("RESULT ticks_never_shown %d\n", missing)
	fmt.Printf("RESULT peak_rss_mb %.1f\n", peak)
	return nil
}
