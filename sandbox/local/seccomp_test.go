package local

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// TestSeccompRefusesKernelCalls makes the calls the filter denies, raw
// (python's ctypes, so no tool's own check answers first): each fails
// with EPERM. The CPU limit's affinity cannot be widened either.
func TestSeccompRefusesKernelCalls(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: it makes the raw system calls")
	}
	sb := localEscapeSandbox(t, Options{Limits: Limits{CPU: 1}}, sandbox.Spec{})
	calls := []string{"keyctl", "bpf", "init_module", "ptrace", "perf_event_open", "unshare", "setns", "io_uring_setup", "userfaultfd", "sched_setaffinity", "mount", "kexec_load"}
	_, out := localRun(t, sb, `nproc; python3 -c '
import ctypes, os, platform
if platform.machine() != "x86_64":
    print("SKIP", platform.machine()); raise SystemExit
libc = ctypes.CDLL(None, use_errno=True)
nr = {"keyctl": 250, "bpf": 321, "init_module": 175, "ptrace": 101, "perf_event_open": 298, "unshare": 272,
      "setns": 308, "io_uring_setup": 425, "userfaultfd": 323, "sched_setaffinity": 203, "mount": 165, "kexec_load": 246}
args = {"ptrace": (16, 1, 0, 0), "unshare": (0x10000000,), "sched_setaffinity": (0, 8, ctypes.c_char_p(b"\xff" * 8)), "io_uring_setup": (1, 0)}
for name in nr:
    r = libc.syscall(nr[name], *args.get(name, (0, 0, 0)))
    print(name, r, os.strerror(ctypes.get_errno()) if r < 0 else "ALLOWED")
'`)
	if strings.Contains(out, "SKIP") {
		t.Skip(out)
	}
	if first, _, _ := strings.Cut(out, "\n"); first != "1" {
		t.Errorf("cpu = 1 but nproc says %q", first)
	}
	for _, c := range calls {
		if !strings.Contains(out, c+" -1 Operation not permitted\n") {
			t.Errorf("%s was not refused with EPERM:\n%s", c, out)
		}
	}
}
