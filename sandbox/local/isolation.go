package local

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// localIsolation is what the provider found out, once, about confining
// commands on this machine.
type localIsolation struct {
	bwrap    bool   // commands run under bubblewrap
	bwrapBin string // path of bwrap when bwrap is true
	netOff   bool   // --unshare-net works, so Network "off" can be honoured
	describe string // for Info.Isolation
}

// localProbeTimeout bounds the one-off bwrap check; a healthy bwrap answers in
// milliseconds.
const localProbeTimeout = 10 * time.Second

// localProbeIsolation decides how to confine commands. bwrap is tried for
// real, because being installed is not enough: many containers forbid the
// namespaces it needs.
func localProbeIsolation(mode, network string) (localIsolation, error) {
	switch mode {
	case "", IsolationAuto, IsolationBwrap:
	case IsolationNone:
		return localIsolation{describe: "none (disabled by configuration)"}, nil
	default:
		return localIsolation{}, fmt.Errorf("local sandbox: isolation %q is not valid: use %q, %q or %q", mode, IsolationAuto, IsolationBwrap, IsolationNone)
	}
	bin, err := exec.LookPath("bwrap")
	if err != nil {
		if mode == IsolationBwrap {
			return localIsolation{}, fmt.Errorf("local sandbox: isolation %q asked for but bubblewrap is not installed (%w): install bubblewrap or use isolation %q", IsolationBwrap, err, IsolationAuto)
		}
		return localIsolation{describe: "none (bubblewrap not installed)"}, nil
	}
	if err := localProbeBwrap(bin, false); err != nil {
		if mode == IsolationBwrap {
			return localIsolation{}, fmt.Errorf("local sandbox: bubblewrap does not work here (%w): allow user namespaces or use isolation %q", err, IsolationAuto)
		}
		return localIsolation{describe: "none (bubblewrap failed: " + err.Error() + ")"}, nil
	}
	iso := localIsolation{bwrap: true, bwrapBin: bin, describe: "bwrap"}
	netErr := localProbeBwrap(bin, true)
	iso.netOff = netErr == nil
	if netErr != nil && network == sandbox.NetworkOff {
		return localIsolation{}, fmt.Errorf("local sandbox: network off asked for but bubblewrap cannot unshare the network here (%w): allow network or fix bubblewrap", netErr)
	}
	return iso, nil
}

// localProbeBwrap runs `true` with the same confinement sandboxes get.
func localProbeBwrap(bin string, netOff bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), localProbeTimeout)
	defer cancel()
	args := localBwrapBase(netOff)
	args = append(args, "--tmpfs", "/tmp", "--", "true")
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return err
	}
	return nil
}

// localBwrapBase is the confinement every sandboxed command gets: the host
// visible but read-only, own /dev, /proc and PID namespace (so killing bwrap
// kills everything started inside), and a new session so the command cannot
// push keystrokes into tether's terminal (TIOCSTI).
func localBwrapBase(netOff bool) []string {
	args := []string{
		"--ro-bind", "/", "/",
		"--dev", "/dev",
		"--proc", "/proc",
		"--unshare-pid",
		"--die-with-parent",
		"--new-session",
	}
	if netOff {
		args = append(args, "--unshare-net")
	}
	return args
}

// localBwrapArgs builds the bwrap command line for one Exec. The private tmp
// is bound first: the workspace may itself live under /tmp (tests do), and
// binding it afterwards keeps it visible at its own path.
func (s *localSandbox) localBwrapArgs(cwd string, argv ...string) []string {
	args := localBwrapBase(s.network == sandbox.NetworkOff)
	args = append(args,
		"--bind", s.tmpDir(), "/tmp",
		"--bind", s.homeDir(), s.homeDir(),
		"--bind", s.info.WorkDir, s.info.WorkDir,
		"--chdir", cwd,
		"--",
	)
	return append(args, argv...)
}
