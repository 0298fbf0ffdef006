// Command faults runs tether's process-level fault matrix (the e2e tests
// of the repository's root package: every way a run can end, kill -9, the
// TUI under tmux, model faults, cancel latency, secrets, hostile output)
// -runs times and prints, per scenario, how many runs it had, how many
// sandboxes and sandbox processes were left behind in total, and the
// worst cancel latency measured.
//
// It compiles the test binary once and runs it with -test.count=N; each
// scenario reports itself with a line
//
//	E2E-RESULT scenario=S sandboxes=N procs=N cancel_us=N
//
// so the table counts what the tests measured, and failed tests are listed
// beside it. Usage, from the repository root:
//
//	go run ./bench/faults -runs 5
//	go run ./bench/faults -runs 20 -run 'TestE2EExits|TestE2EKill9'
//
// It touches nothing outside temporary directories: the tests isolate
// HOME and XDG dirs and talk only to in-process fakes on 127.0.0.1.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	runs := flag.Int("runs", 5, "times to run each scenario")
	run := flag.String("run", "^(TestE2E|TestGuardPanic)", "which tests (a -test.run pattern)")
	verbose := flag.Bool("v", false, "echo the tests' output")
	flag.Parse()
	if err := bench(*runs, *run, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
}

type row struct {
	runs, sandboxes, procs int
	maxCancel              time.Duration
	hasCancel              bool
}

var (
	resultLine = regexp.MustCompile(`E2E-RESULT scenario=(\S+) sandboxes=(\d+) procs=(\d+) cancel_us=(\d+)`)
	failLine   = regexp.MustCompile(`--- FAIL: (\S+)`)
)

func bench(runs int, pattern string, verbose bool) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tether-faults-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "e2e.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("compiling the e2e tests: %w", err)
	}
	start := time.Now()
	cmd := exec.Command(bin, "-test.run", pattern, "-test.v", "-test.count", strconv.Itoa(runs), "-test.timeout", "30m")
	cmd.Dir = root // TestMain builds tether from the package directory
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	rows, fails := parse(out, verbose)
	waitErr := cmd.Wait()

	names := make([]string, 0, len(rows))
	for n := range rows {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRUNS\tSANDBOXES LEFT\tPROCESSES LEFT\tMAX CANCEL LATENCY\t")
	var worst time.Duration
	totalRuns, totalSbx, totalProcs := 0, 0, 0
	for _, n := range names {
		r := rows[n]
		lat := "-"
		if r.hasCancel {
			lat = r.maxCancel.String()
			worst = max(worst, r.maxCancel)
		}
		totalRuns += r.runs
		totalSbx += r.sandboxes
		totalProcs += r.procs
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", n, r.runs, r.sandboxes, r.procs, lat)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%s\t\n", totalRuns, totalSbx, totalProcs, worst)
	tw.Flush()
	fmt.Printf("\n%d scenarios × %d runs in %s\n", len(names), runs, time.Since(start).Round(time.Second))
	if len(fails) > 0 {
		fmt.Println("failed tests (count):")
		keys := make([]string, 0, len(fails))
		for k := range fails {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("  %s ×%d\n", k, fails[k])
		}
	}
	if waitErr != nil {
		return fmt.Errorf("the tests failed: %w", waitErr)
	}
	if totalSbx+totalProcs > 0 {
		return fmt.Errorf("leaks: %d sandbox(es), %d process(es)", totalSbx, totalProcs)
	}
	return nil
}

func parse(r io.Reader, verbose bool) (map[string]*row, map[string]int) {
	rows := map[string]*row{}
	fails := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if verbose {
			fmt.Fprintln(os.Stderr, line)
		}
		if m := failLine.FindStringSubmatch(line); m != nil {
			fails[m[1]]++
		}
		m := resultLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		sbx, _ := strconv.Atoi(m[2])
		procs, _ := strconv.Atoi(m[3])
		us, _ := strconv.ParseInt(m[4], 10, 64)
		rw := rows[m[1]]
		if rw == nil {
			rw = &row{}
			rows[m[1]] = rw
		}
		rw.runs++
		rw.sandboxes += sbx
		rw.procs += procs
		if strings.HasPrefix(m[1], "cancel/") {
			rw.hasCancel = true
			rw.maxCancel = max(rw.maxCancel, time.Duration(us)*time.Microsecond)
		}
	}
	return rows, fails
}

// repoRoot is the nearest directory upwards holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run it from the repository")
		}
		dir = parent
	}
}
