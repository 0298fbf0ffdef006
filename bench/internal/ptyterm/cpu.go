package ptyterm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Sched is how long a process's live threads have run on a CPU and waited
// on a run queue (runnable, not running: the machine's load), summed from
// /proc/PID/task/*/schedstat, in nanoseconds. A thread that has exited is
// not counted.
func Sched(pid int) (onCPU, runQueue time.Duration, err error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, 0, fmt.Errorf("no schedstat for pid %d", pid)
	}
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		var run, wait int64
		_, _ = fmt.Sscan(f[0], &run)
		_, _ = fmt.Sscan(f[1], &wait)
		onCPU += time.Duration(run)
		runQueue += time.Duration(wait)
	}
	return onCPU, runQueue, nil
}
