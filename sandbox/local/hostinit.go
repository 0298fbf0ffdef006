package local

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// With isolation "none" there is no PID namespace to take a sandbox's
// processes down with it, and a `(setsid env -i sleep 300 &)` leaves its
// process group, its session and the tag in its environment behind. The
// sandbox's commands are then started by the same init as under bwrap
// (initproc.go), run on the host: a child subreaper, so every orphan of a
// command (double fork, setsid) becomes its child instead of PID 1's,
// which makes "descendant of the init" a mark nothing in the sandbox can
// strip. After each command it kills the descendants no live command
// owns; when tether closes its socket (Close, or tether dying: the kernel
// closes it) it kills all of them, then exits. It reaps what it adopts, so
// tether's own process never gets zombies it did not start.
//
// What this does not cover: the init runs as the user, like everything in
// "none" mode, so a command can kill it (its orphans then go to PID 1, and
// only the tag sweep, the cgroup where there is one, and cleanup's scan
// of /proc for a cwd or root inside the sandbox find them), or ask another
// service (systemd --user, cron, at, ssh) to start processes for it.

// localDescendants keeps the processes of procs that descend from root.
func localDescendants(procs map[int]localProcInfo, root int) map[int]localProcInfo {
	out := make(map[int]localProcInfo, 8)
	known := map[int]bool{root: true}
	for pid := range procs {
		var chain []int
		desc := false
		for x, depth := pid, 0; depth < 256; depth++ {
			if d, ok := known[x]; ok {
				desc = d
				break
			}
			p, ok := procs[x]
			if !ok || p.ppid <= 1 {
				break
			}
			chain = append(chain, x)
			x = p.ppid
		}
		for _, x := range chain {
			known[x] = desc
		}
		if desc {
			out[pid] = procs[pid]
		}
	}
	return out
}

// localKillDescendants SIGKILLs every live descendant of root, again and
// again until none is left (children forked while a pass runs are caught
// by the next) or a few seconds pass.
func localKillDescendants(root int) {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		procs := localDescendants(localListProcs(root), root)
		if len(procs) == 0 {
			return
		}
		for pid := range procs {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(time.Millisecond)
	}
}

// hostInitCmd is the command that starts the sandbox's init on the host,
// for isolation "none": tether's own executable as the helper, with the
// socket to tether as fd 3. It runs in a session of its own (a signal to
// tether's terminal does not reach it) and gets no Pdeathsig: when tether
// dies its socket closes, and the init then kills every descendant before
// it goes.
func (s *localSandbox) hostInitCmd(sock *os.File) *exec.Cmd {
	cfg, _ := json.Marshal(localHelperConfig{FD: 3, Host: true})
	cmd := &exec.Cmd{
		Path:       s.iso.helper,
		Args:       []string{localHelperPath, localHelperMarker, localHelperInit, string(cfg)},
		Dir:        s.info.WorkDir,
		ExtraFiles: []*os.File{sock},
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// localJoinCgroups moves pid (all its threads) into the cgroups ("" ones
// skipped). The host init is moved before it is asked to start anything,
// so every command inherits them.
func localJoinCgroups(pid int, dirs ...string) error {
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("join the sandbox's cgroup %s: %w", d, err)
		}
	}
	return nil
}
