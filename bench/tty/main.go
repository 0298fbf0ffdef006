// Command tty measures tether as the user sees it: the real binary on a
// pseudo-terminal (creack/pty), its output read by a terminal emulator
// (charmbracelet/x/vt) in this process, keys written to the pty as a
// terminal sends them. Every figure is from a key press or a printed line
// to the moment the harness read the output that put it on the emulated
// screen. The model is bench/fakellm (each prompt runs as a command, then
// a finish numbered "done #N").
//
// Phases (-phases, comma separated; default all):
//   - floor: the same measurements on a stand-in that does no work (this
//     binary's `echo` mode, and the stamp generator printing straight to
//     the pty), so the pty, the emulator and the scheduler's share is
//     known; every figure is also given as a ratio to it.
//   - startup: exec → first frame (the prompt's placeholder), and → the
//     first frame at the terminal's size, with tether's CPU time and
//     run-queue wait at it, -startn times.
//   - idle: frames, full redraws, bytes and CPU of an idle screen over -idle.
//   - keys: keystroke → screen while idle.
//   - prompts: `seq 1 200000` → its finish on screen, -prompts times.
//   - latency: the stamp generator as a prompt (a line every ms for
//     -duration, and a -flood of stamped lines): line print → screen, and
//     keystroke → screen during the flood.
//
// Output: RESULT name value lines (bench/run reads them). TETHER_CPUPROFILE
// and TETHER_TRACE are passed on to tether. Usage:
//
//	tty -bin tether -fakellm fakellm [-phases idle,prompts] [-prompts 50]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tether-dev/tether/bench/internal/stampgen"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "gen":
			if err := stampgen.Run(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "tty gen:", err)
				os.Exit(1)
			}
			return
		case "echo":
			_ = echo()
			return
		}
	}
	var c config
	flag.StringVar(&c.bin, "bin", "", "tether binary (required)")
	flag.StringVar(&c.llm, "fakellm", "", "bench/fakellm binary (required)")
	phases := flag.String("phases", "floor,startup,idle,keys,prompts,latency", "what to measure")
	flag.IntVar(&c.startN, "startn", 10, "start-ups to time")
	flag.DurationVar(&c.idle, "idle", 60*time.Second, "idle time to watch")
	flag.IntVar(&c.keys, "keys", 200, "keys to type while idle")
	flag.IntVar(&c.prompts, "prompts", 50, "seq 1 200000 prompts")
	flag.DurationVar(&c.dur, "duration", 10*time.Second, "how long the generator ticks")
	flag.Int64Var(&c.flood, "flood", 100_000_000, "flood bytes")
	flag.BoolVar(&c.verbose, "v", false, "log every output chunk of each start-up (time since exec, bytes) to stderr")
	flag.Parse()
	if c.bin == "" || c.llm == "" {
		fmt.Fprintln(os.Stderr, "tty: -bin and -fakellm are required")
		os.Exit(2)
	}
	c.phases = map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		c.phases[strings.TrimSpace(p)] = true
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "tty:", err)
		os.Exit(1)
	}
}

type config struct {
	bin, llm              string
	phases                map[string]bool
	startN, keys, prompts int
	idle, dur             time.Duration
	flood                 int64
	verbose               bool
}

func result(name string, format string, args ...any) {
	fmt.Printf("RESULT %s %s\n", name, fmt.Sprintf(format, args...))
}

func load() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], "/")
}

func run(c config) error {
	for _, p := range []*string{&c.bin, &c.llm} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tether-tty-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	result("load_start", "%s", load())
	var fl floorStats
	if c.phases["floor"] {
		if fl, err = measureFloor(self, dir, c); err != nil {
			return fmt.Errorf("floor: %w", err)
		}
	}
	llm, err := startFakeLLM(c.llm)
	if err != nil {
		return err
	}
	defer llm.close()
	if c.phases["startup"] {
		if err := measureStartup(c, dir, llm, fl); err != nil {
			return fmt.Errorf("startup: %w", err)
		}
	}
	if c.phases["idle"] || c.phases["keys"] || c.phases["prompts"] || c.phases["latency"] {
		if err := measureSession(c, dir, llm, fl); err != nil {
			return err
		}
	}
	result("load_end", "%s", load())
	return nil
}
