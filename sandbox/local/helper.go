package local

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
)

// The helper is tether's own executable, bound read-only into the sandbox
// and run by bubblewrap in place of the command. It confines itself with
// Landlock (landlock.go) and then either becomes the command ("exec": a PTY
// shell) or stays as the sandbox's init ("init", initproc.go), which starts
// every Exec command on request, so that one bubblewrap serves a sandbox's
// whole life instead of one per command.
//
// Any program linking this package can be the helper: the package's init
// function takes over when the process was started as the helper (argv[0]
// is localHelperPath and argv[1] the marker), before main runs.

// localHelperPath is where the helper is bound inside the sandbox.
const localHelperPath = "/.tether/helper"

// localHelperMarker is the helper's argv[1].
const localHelperMarker = "tether-sandbox-helper"

// Helper modes (argv[2]).
const (
	localHelperExec = "exec"
	localHelperInit = "init"
)

// localHelperConfig is the helper's argv[3].
type localHelperConfig struct {
	Landlock localLandlockRules `json:"landlock"`
	FD       int                `json:"fd,omitempty"`   // init: the socket to tether
	Host     bool               `json:"host,omitempty"` // init on the host, for isolation "none" (hostinit.go)
}

func init() {
	if len(os.Args) < 4 || os.Args[0] != localHelperPath || os.Args[1] != localHelperMarker {
		return
	}
	os.Exit(localHelperMain(os.Args[2], os.Args[3], os.Args[4:]))
}

// localHelperMain runs the helper; its result is the exit code.
func localHelperMain(mode, config string, argv []string) int {
	var cfg localHelperConfig
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "tether sandbox helper: bad configuration: %v\n", err)
		return 125
	}
	switch mode {
	case localHelperExec:
		if len(argv) == 0 {
			fmt.Fprintln(os.Stderr, "tether sandbox helper: nothing to run")
			return 125
		}
		return localHelperRun(cfg, argv)
	case localHelperInit:
		return localInitMain(cfg)
	}
	fmt.Fprintf(os.Stderr, "tether sandbox helper: unknown mode %q\n", mode)
	return 125
}

// localHelperRun confines this thread and replaces the process with argv:
// execve keeps the calling thread's credentials, Landlock domain included.
func localHelperRun(cfg localHelperConfig, argv []string) int {
	runtime.LockOSThread()
	if err := localLandlockSelf(localLandlockABI(), cfg.Landlock); err != nil {
		fmt.Fprintf(os.Stderr, "tether sandbox helper: %v\n", err)
		return 125
	}
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "tether sandbox helper: %v\n", err)
		return 127
	}
	err = syscall.Exec(bin, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "tether sandbox helper: exec %s: %v\n", argv[0], err)
	return 126
}

// localHelperBin is the host path of the helper (this executable, symlinks
// resolved), or "" when it cannot be found: sandboxes then run without the
// Landlock layer and with one bubblewrap per command.
var localHelperBin = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	if st, err := os.Stat(exe); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return exe
})

// helperArgv is the command line that runs the helper in mode inside the
// sandbox, then argv (exec mode).
func (spec bwrapSpec) helperArgv(mode string, fd int, argv []string) []string {
	cfg, _ := json.Marshal(localHelperConfig{Landlock: spec.landlockRules(), FD: fd})
	return append([]string{localHelperPath, localHelperMarker, mode, string(cfg)}, argv...)
}
