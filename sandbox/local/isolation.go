package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// localIsolation is what the provider found out, once, about confining
// commands on this machine.
type localIsolation struct {
	bwrap    bool   // commands run under bubblewrap
	bwrapBin string // path of bwrap when bwrap is true
	netOff   bool   // --unshare-net works, so Network "off" can be honoured
	helper   string // host path of the helper when it works inside bwrap: Landlock and the sandbox init
	slirp    string // path of slirp4netns, "" when missing (slirpErr says why)
	slirpErr error
	describe string // for Info.Isolation
}

// localProbeTimeout bounds the one-off bwrap check; a healthy bwrap answers in
// milliseconds.
const localProbeTimeout = 10 * time.Second

// localNoneWarning is what every surface says when commands are not
// confined.
const localNoneWarning = "commands run as you, with your files and keys"

// localProbeIsolation decides how to confine commands. bwrap is tried for
// real, because being installed is not enough: many containers forbid the
// namespaces it needs. Without a working bwrap, "auto" refuses rather than
// silently running the agent unconfined: isolation "none" must be chosen.
func localProbeIsolation(mode, network string) (localIsolation, error) {
	return localIsolationFrom(mode, network, localProbe)
}

// localIsolationFrom is localProbeIsolation with the probe given.
func localIsolationFrom(mode, network string, localProbe func() localProbeResult) (localIsolation, error) {
	switch mode {
	case "", IsolationAuto, IsolationBwrap:
	case IsolationNone:
		// The helper still starts the commands, as the sandbox's init on
		// the host (hostinit.go), so that nothing they start outlives
		// them; without it they are plain process groups.
		return localIsolation{helper: localHelperBin(), describe: "none (chosen in configuration): " + localNoneWarning}, nil
	default:
		return localIsolation{}, fmt.Errorf("local sandbox: isolation %q is not valid: use %q, %q or %q", mode, IsolationAuto, IsolationBwrap, IsolationNone)
	}
	probe := localProbe()
	if probe.err != nil {
		return localIsolation{}, fmt.Errorf("local sandbox: isolation %q needs a working bubblewrap: %w; install it (apt-get install bubblewrap, dnf install bubblewrap) and allow user namespaces, or set [local] isolation = %q to run the agent unconfined, as you, with your files and keys", mode, probe.err, IsolationNone)
	}
	iso := localIsolation{bwrap: true, bwrapBin: probe.bin, netOff: probe.netErr == nil, helper: probe.helper, describe: "bwrap (" + probe.layers + ")"}
	iso.slirp, iso.slirpErr = localFindSlirp()
	if probe.netErr != nil && network == sandbox.NetworkOff {
		return localIsolation{}, fmt.Errorf("local sandbox: network off asked for but bubblewrap cannot unshare the network here (%w): allow network or fix bubblewrap", probe.netErr)
	}
	return iso, nil
}

// localProbeResult is what localProbe found.
type localProbeResult struct {
	bin    string
	err    error  // bwrap missing or not working
	netErr error  // --unshare-net not working
	layers string // the confinement layers active, for Info.Isolation
	helper string // the helper, when it runs inside bwrap (see helperErr)
	// helperErr says why commands run without the helper: no Landlock
	// layer, one bwrap per command.
	helperErr error
}

// localProbe checks once per process that bwrap runs with the confinement
// sandboxes get (network off first: when that works everything does, so
// the common case costs one bwrap run). It is the one place that probes;
// callers that must not block (the TUI's first frame) can start it early
// in a goroutine with localProbeAsync and find the answer cached.
var localProbe = sync.OnceValue(func() localProbeResult { return localProbeWith(exec.LookPath) })

// localProbeWith is localProbe finding programs with lookPath.
func localProbeWith(lookPath func(string) (string, error)) localProbeResult {
	bin, err := lookPath("bwrap")
	if err != nil {
		return localProbeResult{err: fmt.Errorf("bubblewrap is not installed (%w)", err)}
	}
	res := localProbeResult{bin: bin, layers: "user namespace, no capabilities, seccomp"}
	if _, err := localSeccompProgram(); err != nil {
		return localProbeResult{bin: bin, err: err}
	}
	netOff := true
	if err := localProbeBwrap(bin, true, ""); err != nil {
		res.netErr = err
		netOff = false
		if err := localProbeBwrap(bin, false, ""); err != nil {
			return localProbeResult{bin: bin, err: fmt.Errorf("bubblewrap does not work here (%w)", err)}
		}
	}
	helper := localHelperBin()
	if helper == "" {
		res.helperErr = errors.New("tether's own executable cannot be found")
		return res
	}
	if err := localProbeBwrap(bin, netOff, helper); err != nil {
		res.helperErr = err
		return res
	}
	res.helper = helper
	if abi := localLandlockABI(); abi > 0 {
		res.layers += ", landlock ABI " + strconv.Itoa(abi)
	}
	return res
}

// localProbeAsync starts the probe without waiting for it.
func localProbeAsync() { go localProbe() }

// localProbeBwrap runs `true` with the same confinement sandboxes get,
// through the helper when one is given.
func localProbeBwrap(bin string, netOff bool, helper string) error {
	ctx, cancel := context.WithTimeout(context.Background(), localProbeTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "tether-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sec, err := localSeccompFile()
	if err != nil {
		return err
	}
	defer sec.Close()
	spec := bwrapSpec{Work: dir, Home: dir, Tmp: dir, Cwd: "/", NetOff: netOff, SeccompFD: 3, Argv: []string{"true"}}
	if helper != "" {
		spec.Helper = helper
		spec.Argv = spec.helperArgv(localHelperExec, 0, spec.Argv)
	}
	args := bwrapArgs(spec)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.ExtraFiles = []*os.File{sec}
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
