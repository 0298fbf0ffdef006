package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// localDiskTestCap is the cap the disk tests set (through the test-only
// byte knob: writing gigabytes would take the machine's disk and time).
const localDiskTestCap = 20 << 20

// TestDiskLimitStopsManySmallFiles: writing past the sandbox's disk cap in
// many small files (each far under RLIMIT_FSIZE) stops the command with an
// observation naming the limit; the sandbox does not grow much past it;
// a command that only reads still runs, one that deletes brings it back
// under, and then writing works again. In both modes, as root and (through
// TestEscapesAsNobody) not.
func TestDiskLimitStopsManySmallFiles(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		sb := localDiskSandbox(t, iso)
		var out strings.Builder
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: `s=$(head -c 8192 /dev/zero | tr '\0' x); for i in $(seq 20000); do printf %s "$s" > f$i || break; done; echo finished`,
			Stdout:  &out, Stderr: &out, Timeout: 2 * time.Minute,
		})
		if err != nil || res.TimedOut {
			t.Fatalf("%+v %v\n%s", res, err, out.String())
		}
		if strings.Contains(out.String(), "finished") || res.ExitCode != 137 {
			t.Fatalf("160 MB in 8 KB files under a 20 MB cap: exit %d\n%s", res.ExitCode, localTail(out.String()))
		}
		if !strings.Contains(out.String(), "tether: disk limit of 20.0 MB for the workspace reached") || !strings.Contains(out.String(), "the command was stopped") {
			t.Fatalf("stopped without saying why:\n%s", localTail(out.String()))
		}
		used := localDiskUsage(filepath.Dir(sb.WorkDir()))
		t.Logf("%s: stopped at %s", iso, localSize(used))
		if used > 4*localDiskTestCap {
			t.Errorf("the sandbox holds %s under a %s cap", localSize(used), localSize(localDiskTestCap))
		}

		// Over the cap, reading is fine, and the note says where it stands.
		out.Reset()
		res, err = sb.Exec(context.Background(), sandbox.ExecRequest{Command: "ls | wc -l", Stdout: &out, Stderr: &out})
		if err != nil || res.ExitCode != 0 || !strings.Contains(out.String(), "commands that write more will be stopped") {
			t.Fatalf("a read-only command over the cap: %+v %v\n%s", res, err, out.String())
		}
		out.Reset()
		res, err = sb.Exec(context.Background(), sandbox.ExecRequest{Command: "rm -f f*; head -c 1M /dev/zero > small; echo ok", Stdout: &out, Stderr: &out})
		if err != nil || res.ExitCode != 0 || strings.TrimSpace(out.String()) != "ok" {
			t.Fatalf("cleaning up and writing 1 MB: %+v %v\n%s", res, err, out.String())
		}
	})
}

// TestDiskLimitCountsTmpAndFileTools: /tmp counts against the cap (it is
// on the host's disk too), and tether's own file writes are refused past
// it with the same words.
func TestDiskLimitCountsTmpAndFileTools(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		sb := localDiskSandbox(t, iso)
		var out strings.Builder
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: `for i in $(seq 100); do head -c 1M /dev/zero >> "$TMPDIR/big" || break; done; echo finished`,
			Stdout:  &out, Stderr: &out, Timeout: 2 * time.Minute,
		})
		if err != nil || strings.Contains(out.String(), "finished") || !strings.Contains(out.String(), "disk limit of 20.0 MB for the workspace reached") {
			t.Fatalf("100 MB into /tmp under a 20 MB cap: %+v %v\n%s", res, err, localTail(out.String()))
		}
		localRun(t, sb, `rm -f "$TMPDIR/big"`)

		ctx := context.Background()
		if err := sb.WriteFile(ctx, "ok.bin", make([]byte, 5<<20)); err != nil {
			t.Fatalf("5 MB under a 20 MB cap: %v", err)
		}
		err = sb.WriteFile(ctx, "big.bin", make([]byte, 30<<20))
		if err == nil || !strings.Contains(err.Error(), "disk limit of 20.0 MB for the workspace reached") {
			t.Fatalf("30 MB file written by the file tools under a 20 MB cap: %v", err)
		}
		// Rewriting a file with less is fine even near the cap.
		if err := sb.WriteFile(ctx, "ok.bin", make([]byte, 1<<20)); err != nil {
			t.Fatalf("shrinking a file: %v", err)
		}
		if info, _ := sb.Info(ctx); !strings.Contains(info.Limits, "20.0 MB disk for workspace, HOME and /tmp together") {
			t.Errorf("the pane's limits %q do not show the disk cap", info.Limits)
		}
	})
}

func localDiskSandbox(t *testing.T, iso string) sandbox.Sandbox {
	t.Helper()
	p := localTestProvider(t, Options{Isolation: iso, Limits: Limits{diskBytes: localDiskTestCap}})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	return sb
}

// localTail is the end of a long output, for failure messages.
func localTail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
