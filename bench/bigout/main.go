// Command bigout measures big output through the whole program: it types
// `seq 1 200000` into the real screen (ui.Model in a tea.Program over
// app.Engine, a local sandbox and a fake model that runs the prompt as a
// terminal command, then finishes), -runs times in one session. For each
// run it reports prompt→done (enter sent → first frame written showing the
// finish message), opening the full output and Home/End/PgUp (key sent →
// first frame written that shows the expected lines: 1..3 after Home,
// 199998..200000 after End, lines before the end after PgUp; then a
// search for the middle line, from enter to the frame showing it), the RSS,
// and the key→frame time of typing into the prompt afterwards.
//
// Frames are written by Bubble Tea's renderer to a recorder instead of a
// terminal (160×48, 60 fps), so the terminal's own painting is not
// counted.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/bench/internal/rig"
)

func main() {
	runs := flag.Int("runs", 6, "how many times to run the command in one session")
	n := flag.Int("lines", 200_000, "seq 1 N")
	iso := flag.String("isolation", "", "local sandbox isolation (auto, bwrap, none); default auto")
	prof := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*runs, *n, *iso); err != nil {
		fmt.Fprintln(os.Stderr, "bigout:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// hasRun reports whether the frame shows lines from..to one under another
// (the full-output view prints each line of seq's output on its own row).
func hasRun(plain string, from, to int) bool {
	rows := strings.Split(plain, "\n")
	want := from
	for _, row := range rows {
		if strings.Contains(" "+row+" ", fmt.Sprintf(" %d ", want)) || strings.Contains(row, fmt.Sprintf("│%d", want)) {
			if want == to {
				return true
			}
			want++
			continue
		}
		want = from
		if strings.Contains(" "+row+" ", fmt.Sprintf(" %d ", want)) {
			want++
		}
	}
	return false
}

type step struct {
	name string
	key  string
	cond func(string) bool
}

func run(runs, n int, iso string) error {
	dir, err := os.MkdirTemp("", "tether-bigout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var dbg func(time.Time, string)
	if os.Getenv("BIGOUT_DEBUG") != "" {
		dbg = func(t time.Time, c string) {
			rows := strings.Split(ansi.Strip(c), "\n")
			fmt.Fprintf(os.Stderr, "%s frame %q %q\n", t.Format("05.000"), rows[0][:60], rows[1][:40])
		}
	}
	r, err := rig.Start(rig.Options{Dir: dir, Isolation: iso, OnFrame: dbg})
	if err != nil {
		return err
	}
	defer r.Close()
	const timeout = 60 * time.Second
	last := fmt.Sprint(n)
	for i := 1; i <= runs; i++ {
		doneMsg := fmt.Sprintf("done #%d", i)
		done := r.Expect(func(p string) bool { return strings.Contains(p, doneMsg) })
		sent := r.Prompt(fmt.Sprintf("seq 1 %d", n))
		at, err := done.Wait(timeout)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		fmt.Printf("RESULT run%d_prompt_to_done_ms %s\n", i, rig.Ms(at.Sub(sent)))
		steps := []step{
			{"open", "enter", func(p string) bool { return strings.Contains(p, "of "+last) }},
			{"end", "end", func(p string) bool { return hasRun(p, n-2, n) }},
			{"pgup", "pgup", func(p string) bool { return !hasRun(p, n-2, n) && (hasRun(p, n-60, n-58) || hasRun(p, n-80, n-78)) }},
			{"home", "home", func(p string) bool { return hasRun(p, 1, 3) }},
			{"search", "", nil}, // typed below: "/", the middle line's number, enter
			{"close", "esc", func(p string) bool { return strings.Contains(p, doneMsg) }},
			{"follow", "end", func(string) bool { return true }},
			{"prompt", "tab", func(string) bool { return true }},
		}
		if err := selectCommand(r, last); err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		for _, s := range steps {
			if s.name == "search" {
				mid := n / 2
				r.Type(rig.Key("/"))
				for _, c := range fmt.Sprint(mid) {
					r.Type(rig.Key(string(c)))
				}
				e := r.Expect(func(p string) bool { return hasRun(p, mid, mid+1) })
				t0 := time.Now()
				r.Type(rig.Key("enter"))
				at, err := e.Wait(timeout)
				if err != nil {
					return fmt.Errorf("run %d, search: %w", i, err)
				}
				fmt.Printf("RESULT run%d_search_ms %s\n", i, rig.Ms(at.Sub(t0)))
				continue
			}
			e := r.Expect(s.cond)
			t0 := time.Now()
			if dbg != nil {
				fmt.Fprintf(os.Stderr, "%s key %s\n", t0.Format("05.000"), s.key)
			}
			r.Type(rig.Key(s.key))
			at, err := e.Wait(timeout)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", i, s.name, err)
			}
			if s.name == "open" || s.name == "home" || s.name == "end" || s.name == "pgup" {
				fmt.Printf("RESULT run%d_%s_ms %s\n", i, s.name, rig.Ms(at.Sub(t0)))
			}
		}
		// Typing into the prompt now (key → frame), 40 keys 20 ms apart.
		r.KeyLatencies()
		for k := 0; k < 40; k++ {
			if k%2 == 0 {
				r.Type(rig.Key("x"))
			} else {
				r.Type(rig.Key("backspace"))
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		keys := r.KeyLatencies()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		cur, peak := rig.RSS()
		fmt.Printf("RESULT run%d_heap_inuse_mb %.1f\n", i, float64(ms.HeapInuse)/(1<<20))
		fmt.Printf("RESULT run%d_key_to_frame_p99_ms %s\n", i, rig.Ms(rig.Percentile(keys, 99)))
		fmt.Printf("RESULT run%d_rss_mb %.1f\n", i, cur)
		fmt.Printf("RESULT run%d_peak_rss_mb %.1f\n", i, peak)
	}
	return nil
}

// selectCommand focuses the event list and moves the selection up from the
// newest entry until enter would open the command's output (the newest
// entries are the finish call and the state change), then closes that
// trial view so "open" can be timed.
func selectCommand(r *rig.Rig, last string) error {
	for _, k := range []string{"tab", "end"} {
		r.Type(rig.Key(k))
	}
	for try := 0; try < 6; try++ {
		// Entries without output (the finish call) open no view: the list
		// says so instead.
		e := r.Expect(func(p string) bool {
			return strings.Contains(p, "esc close") || strings.Contains(p, "no tool output here")
		})
		r.Type(rig.Key("k"))
		r.Type(rig.Key("enter"))
		if _, err := e.Wait(10 * time.Second); err != nil {
			return err
		}
		if !strings.Contains(r.LastFrame(), "esc close") {
			continue
		}
		ok := strings.Contains(r.LastFrame(), "of "+last)
		e = r.Expect(func(p string) bool { return !strings.Contains(p, "esc close") })
		r.Type(rig.Key("esc"))
		if _, err := e.Wait(10 * time.Second); err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("could not select the command's entry; last frame:\n%s", r.LastFrame())
}
