package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// localKillInside SIGKILLs, a few passes over, the processes that still
// work inside sandbox dir: cwd or root under it, started since the
// sandbox was created (since), without a controlling terminal. It is the
// last net for isolation "none" when the init itself was killed (its
// orphans then went to PID 1, and `env -i` took their tag): a process
// cannot leave the workspace behind without giving up its files, and a
// person's shell or editor looking into the workspace has a terminal or
// was started before the sandbox. Not tether itself. (Under bubblewrap
// the PID namespace holds; Delete of a sandbox no process of this tether
// runs uses it whatever the mode.)
func localKillInside(dir string, since time.Time) {
	btime := localBootTime()
	if btime.IsZero() {
		return
	}
	self := os.Getpid()
	prefix := dir + string(filepath.Separator)
	for range localKillPasses {
		if localKillInsidePass(prefix, since, btime, self) == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func localKillInsidePass(prefix string, since, btime time.Time, self int) (killed int) {
	names, _ := os.ReadDir("/proc")
	for _, e := range names {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		base := "/proc/" + e.Name()
		inside := false
		for _, link := range []string{"/cwd", "/root"} {
			if t, err := os.Readlink(base + link); err == nil && (strings.HasPrefix(t+"/", prefix) || strings.HasPrefix(strings.TrimSuffix(t, " (deleted)")+"/", prefix)) {
				inside = true
			}
		}
		if !inside {
			continue
		}
		tty, start, ok := localTTYAndStart(pid)
		if !ok || tty != 0 || btime.Add(start).Before(since.Add(-time.Second)) {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	return killed
}

// localTTYAndStart reads a process's controlling terminal and its start
// time after boot from /proc/<pid>/stat.
func localTTYAndStart(pid int) (tty int, start time.Duration, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:])) // state(3) ppid pgrp session tty_nr(7) ... starttime(22)
	if len(f) < 20 {
		return 0, 0, false
	}
	tty, err1 := strconv.Atoi(f[4])
	ticks, err2 := strconv.ParseInt(f[19], 10, 64)
	// USER_HZ is 100 on every Linux architecture tether runs on.
	return tty, time.Duration(ticks) * (time.Second / 100), err1 == nil && err2 == nil
}

// localBootTime is when the machine booted (/proc/stat btime).
func localBootTime() time.Time {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}
