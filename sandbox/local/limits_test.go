package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

func TestForkBombIsBounded(t *testing.T) {
	sb := localEscapeSandbox(t, Options{Limits: Limits{PIDs: 64}}, sandbox.Spec{})
	var out strings.Builder
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
		Command: `n=0; for i in $(seq 200); do sleep 20 >/dev/null 2>&1 & n=$((n+1)); done 2>&1 | head -c 300; echo "started=$(jobs -p | wc -l)"`,
		Stdout:  &out, Stderr: &out, Timeout: 60 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.TimedOut {
		t.Fatalf("the fork bomb hung the command: %s", out.String())
	}
	if !strings.Contains(out.String(), "Resource temporarily unavailable") {
		t.Fatalf("200 processes under pids=64 and no fork failure:\n%s", out.String())
	}
	if localCgroupPath(sb.ID()) != "" && !strings.Contains(out.String(), "process limit (pids = 64)") {
		t.Errorf("the limit was hit but the observation does not say so:\n%s", out.String())
	}
	// The sandbox still works afterwards.
	if res, _ := localRun(t, sb, "true"); res.ExitCode != 0 {
		t.Fatalf("sandbox unusable after the fork bomb: %+v", res)
	}
}

func TestMemoryLimit(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	sb := localEscapeSandbox(t, Options{Limits: Limits{MemoryGB: 1}}, sandbox.Spec{})
	var out strings.Builder
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
		Command: `python3 -c 'a = bytearray(2 << 30); print("allocated")'`, Stdout: &out, Stderr: &out, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 || strings.Contains(out.String(), "allocated") || !strings.Contains(out.String(), "MemoryError") {
		t.Fatalf("2 GB allocated under memory_gb = 1: exit %d\n%s", res.ExitCode, out.String())
	}
	if _, out := localRun(t, sb, `python3 -c 'a = bytearray(300 << 20); print("ok")'`); !strings.Contains(out, "ok") {
		t.Fatalf("300 MB refused under memory_gb = 1: %s", out)
	}
	if localMemCgroupPath(sb.ID()) == "" {
		t.Log("no memory cgroup here: memory_gb holds per process only")
		return
	}
	// Under the per-process cap each, over the sandbox's cap together.
	out.Reset()
	res, err = sb.Exec(context.Background(), sandbox.ExecRequest{
		Command: `for i in 1 2 3 4; do python3 -c 'import time; a = b"x" * (400 << 20); time.sleep(3)' & done; wait`,
		Stdout:  &out, Stderr: &out, Timeout: time.Minute,
	})
	if err != nil || res.TimedOut {
		t.Fatalf("%+v %v", res, err)
	}
	if !strings.Contains(out.String(), "memory limit (memory_gb = 1, all its processes together)") {
		t.Fatalf("1.6 GB in four processes under memory_gb = 1 and no note of the limit:\n%s", out.String())
	}
	if info, _ := sb.Info(context.Background()); !strings.Contains(info.Limits, "for the sandbox (cgroup)") {
		t.Errorf("Limits %q does not say memory is held for the sandbox", info.Limits)
	}
}

func TestDiskLimit(t *testing.T) {
	sb := localEscapeSandbox(t, Options{Limits: Limits{DiskGB: 1}}, sandbox.Spec{})
	var out strings.Builder
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
		Command: `truncate -s 2G big 2>&1; echo "truncate=$?"; fallocate -l 2G big2 2>&1; echo "fallocate=$?"; truncate -s 100M small; echo "small=$?"`,
		Stdout:  &out, Stderr: &out, Timeout: time.Minute,
	})
	if err != nil || res.TimedOut {
		t.Fatalf("%+v %v", res, err)
	}
	for _, f := range []string{"big", "big2"} {
		if st, err := os.Stat(filepath.Join(sb.WorkDir(), f)); err == nil && st.Size() > 1<<30 {
			t.Errorf("%s is %d bytes on the host under disk_gb = 1:\n%s", f, st.Size(), out.String())
		}
	}
	if !strings.Contains(out.String(), "small=0") {
		t.Fatalf("a 100 MB file was refused:\n%s", out.String())
	}
	out.Reset()
	res, _ = sb.Exec(context.Background(), sandbox.ExecRequest{Command: `head -c 1200M /dev/zero > big3`, Stderr: &out, Timeout: time.Minute})
	// Whichever comes first: the file's size limit, or the watchdog of
	// the sandbox's total (diskquota.go).
	perFile := res.ExitCode == 153 && strings.Contains(out.String(), "size limit (disk_gb = 1 per file)")
	total := res.ExitCode == 137 && strings.Contains(out.String(), "disk limit of 1 GB for the workspace reached")
	if !perFile && !total {
		t.Errorf("writing past disk_gb: exit %d, stderr %q: want 153 or 137 and a note naming the limit", res.ExitCode, out.String())
	}
	if st, err := os.Stat(filepath.Join(sb.WorkDir(), "big3")); err == nil && st.Size() > 1<<30 {
		t.Errorf("big3 is %d bytes under disk_gb = 1", st.Size())
	}
}

func TestLimitsDefaultsAndChecks(t *testing.T) {
	l, err := Limits{}.withDefaults()
	if err != nil || l.CPU < 1 || l.MemoryGB < 1 || l.PIDs != DefaultPIDs || l.DiskGB != DefaultDiskGB {
		t.Fatalf("defaults = %+v, %v", l, err)
	}
	for _, bad := range []Limits{{CPU: -1}, {PIDs: 3}, {CPU: 1 << 20}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if got, _ := l.forSpec(sandbox.Spec{MemoryGB: 3}); got.MemoryGB != 3 {
		t.Errorf("Spec.MemoryGB not applied: %+v", got)
	}
}
