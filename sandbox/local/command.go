package local

import (
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// command builds the exec.Cmd that runs argv in this sandbox with cwd as
// seen inside: under bwrap with the seccomp program as fd 3 (close it with
// localCloseExtra once started), or plainly with isolation "none". The
// caller sets Env, stdio and SysProcAttr, and starts it with s.start (which
// brings up its network when it has one of its own). Anything that starts a process in
// a sandbox (Exec, a PTY shell) goes through here.
func (s *localSandbox) command(cwd string, argv ...string) (*exec.Cmd, error) {
	s.ensureCgroups()
	if !s.iso.bwrap {
		argv = localCgroupJoin([]string{s.cgroup, s.memCg}, argv)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = cwd
		return cmd, nil
	}
	sec, err := localSeccompFile()
	if err != nil {
		return nil, err
	}
	spec := s.bwrapSpec(cwd, argv...)
	if s.iso.helper != "" {
		// The helper confines itself with Landlock, then becomes argv.
		spec.Helper = s.iso.helper
		spec.Argv = spec.helperArgv(localHelperExec, 0, argv)
	}
	extra := []*os.File{sec}
	net, err := s.netPrepare(&spec, &extra)
	if err != nil {
		_ = sec.Close()
		return nil, err
	}
	full := localCgroupJoin([]string{s.cgroup, s.memCg}, append([]string{s.iso.bwrapBin}, bwrapArgs(spec)...))
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Dir = s.info.WorkDir
	cmd.ExtraFiles = extra
	if net != nil {
		// Its own network namespace, which s.start serves once it runs.
		s.netMu.Lock()
		if s.netPending == nil {
			s.netPending = map[*exec.Cmd]*localNetStart{}
		}
		s.netPending[cmd] = net
		s.netMu.Unlock()
	}
	return cmd, nil
}

// localCloseExtra closes the parent's copies of the files passed to the
// child. Safe to call twice.
func localCloseExtra(cmd *exec.Cmd) {
	for _, f := range cmd.ExtraFiles {
		_ = f.Close()
	}
}

// localStartPinned starts cmd restricted to the CPUs in set (nil: all).
// Affinity is inherited from the thread that forks, so the fork happens on
// a thread pinned for the purpose, which is then restored.
func localStartPinned(cmd *exec.Cmd, set *unix.CPUSet) error {
	if set == nil {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return cmd.Start()
	}
	if err := unix.SchedSetaffinity(0, set); err != nil {
		return cmd.Start()
	}
	defer func() { _ = unix.SchedSetaffinity(0, &old) }()
	return cmd.Start()
}
