package local

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// TestLocalCrashHelper is the tether that crashes in TestLocalCrash: it
// starts a command and blocks until it is killed.
func TestLocalCrashHelper(t *testing.T) {
	base := os.Getenv("TETHER_LOCAL_CRASH_BASE")
	if base == "" {
		t.Skip("helper process for TestLocalCrash")
	}
	p := localTestProvider(t, Options{BaseDir: base, Isolation: os.Getenv("TETHER_LOCAL_CRASH_ISO")})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	marker := os.Getenv("TETHER_LOCAL_CRASH_MARKER")
	_, _ = sb.Exec(context.Background(), sandbox.ExecRequest{Command: "(exec -a " + marker + " sleep 1000) & exec -a " + marker + " sleep 1000"})
}

// TestLocalCrash kills a tether (SIGKILL: no cleanup runs) while its command
// runs. Nothing survives it, in any mode, and `tether cleanup` (FindOrphans
// + Delete) then removes the sandbox.
func TestLocalCrash(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		base, marker := t.TempDir(), localMarker()
		child := exec.Command(os.Args[0], "-test.run=^TestLocalCrashHelper$")
		child.Env = append(os.Environ(), "TETHER_LOCAL_CRASH_BASE="+base, "TETHER_LOCAL_CRASH_ISO="+iso, "TETHER_LOCAL_CRASH_MARKER="+marker)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
		localWaitFor(t, "the helper's command", func() bool { return len(localLivePIDs(marker)) == 2 })
		egress := iso == IsolationBwrap && localTestNetwork() == sandbox.NetworkOn
		if egress && !localHasChild(child.Process.Pid, "slirp4netns") {
			t.Fatal("the crashing tether's sandbox has no slirp4netns")
		}
		if err := child.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = child.Wait()
		// The PID namespace, or (none) the init on the host seeing its
		// socket to tether close, takes everything down.
		localWaitGone(t, marker)

		p := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
		orphans, err := sandbox.FindOrphans(context.Background(), p)
		if err != nil || len(orphans) != 1 {
			t.Fatalf("FindOrphans = %+v, %v; want the crashed run's sandbox", orphans, err)
		}
		// Its slirp4netns (network "on" under bwrap) ended with tether:
		// tether held the only write end of its --exit-fd.
		localWaitFor(t, "the crashed sandbox's slirp4netns to end", func() bool { return len(localSlirpPIDs(orphans[0].Info.ID)) == 0 })
		if err := p.Delete(context.Background(), orphans[0].Info.ID); err != nil {
			t.Fatal(err)
		}
		localWaitGone(t, marker)
	})
}

// localHasChild reports whether process pid has a live child named comm.
func localHasChild(pid int, comm string) bool {
	names, _ := os.ReadDir("/proc")
	for _, e := range names {
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		s := string(status)
		if strings.HasPrefix(s, "Name:\t"+comm+"\n") && strings.Contains(s, "\nPPid:\t"+strconv.Itoa(pid)+"\n") {
			return true
		}
	}
	return false
}
