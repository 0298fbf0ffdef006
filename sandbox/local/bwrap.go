package local

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// bwrapSpec is everything one confined process needs. It is the single
// description shared by Exec and by anything else that starts a process in
// a sandbox (a PTY shell, say): build it with (*localSandbox).bwrapSpec, turn
// it into a command line with bwrapArgs, and pass the seccomp program with
// localSeccompFile as the fd SeccompFD names.
type bwrapSpec struct {
	Work, Home, Tmp string  // host directories: workspace, HOME, /tmp
	Etc             string  // host directory holding the synthesized passwd and group
	EtcView         string  // host directory bound as /etc (etcview.go); "" = bwrapEtc entry by entry
	Cwd             string  // as the process sees it
	NetOff          bool    // own network namespace with nothing in it
	NetEgress       bool    // own network namespace, served by slirp4netns (netslirp.go)
	Resolv          string  // host file bound as /etc/resolv.conf with NetEgress
	InfoFD          int     // fd bubblewrap writes its child's pid to (--info-fd); 0 = none
	Mounts          []Mount // extra mounts the user asked for
	SeccompFD       int     // fd number of the seccomp program in the child; 0 = none
	Helper          string  // host path of the helper (helper.go), bound at localHelperPath; "" = none
	Argv            []string
}

// Mount is one extra host directory or file visible in local sandboxes,
// from [local] mounts = ["~/.cache/pip:ro", "/data:/data:rw"].
type Mount struct {
	Source   string `json:"source"`             // host path, absolute
	Target   string `json:"target"`             // path inside the sandbox
	Writable bool   `json:"writable,omitempty"` // default read-only
}

// bwrapEtc is the part of the host's /etc programs need to run, resolve
// names and verify TLS. Anything else there (shadow, ssh host keys, sudoers,
// tether's own config under /etc) stays out. passwd and group are not
// taken from the host: they are synthesized per sandbox.
var bwrapEtc = []string{
	"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives",
	"ssl", "ca-certificates", "ca-certificates.conf", "pki", "crypto-policies",
	"hosts", "host.conf", "nsswitch.conf", "gai.conf", "protocols", "services", "networks",
	"localtime", "timezone", "locale.alias", "locale.conf", "locale.gen", "default/locale",
	"os-release", "lsb-release", "debian_version", "issue",
	"bash.bashrc", "profile", "profile.d", "inputrc", "environment", "shells",
	"mime.types", "magic", "magic.mime", "terminfo", "gitconfig", "npmrc", "pip.conf",
	"vim", "wgetrc", "xml", "sgml", "python3", "perl", "java-17-openjdk", "maven", "fonts",
}

// bwrapSystem lists the top-level system directories shown read-only:
// bound when they are directories, recreated as the same symlink when they
// are symlinks (merged /usr), skipped when absent. Read once.
var bwrapSystem = sync.OnceValue(func() []string {
	var args []string
	for _, d := range []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			}
		case fi.IsDir():
			args = append(args, "--ro-bind", d, d)
		}
	}
	return args
})

// bwrapEtcBinds binds bwrapEtc's entries one by one, when there is no
// /etc view. Read once.
var bwrapEtcBinds = sync.OnceValue(func() []string {
	var args []string
	for _, name := range bwrapEtc {
		p := filepath.Join("/etc", name)
		if _, err := os.Stat(p); err == nil {
			args = append(args, "--ro-bind", p, p)
		}
	}
	return args
})

// bwrapArgs builds bubblewrap's command line for spec. The sandboxed process
// gets its own user, PID, IPC, UTS and cgroup namespaces (and network when
// NetOff or NetEgress), no capabilities at all even when tether runs as root, a new
// session (no TIOCSTI into tether's terminal), dies with tether, and sees
// only: the system directories read-only, a minimal /etc, its own /dev and
// /proc, and its workspace, HOME and /tmp. Nothing of the host's home
// directories, tether's config, state, recordings or logs is there.
//
// The private /tmp is bound before HOME and the workspace: those may live
// under /tmp themselves (tests do), and binding them afterwards keeps them
// visible at their own paths.
func bwrapArgs(spec bwrapSpec) []string {
	args := make([]string, 0, 96)
	args = append(args,
		"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
		"--cap-drop", "ALL",
		"--die-with-parent", "--new-session",
		"--hostname", "sandbox",
	)
	if spec.NetOff || spec.NetEgress {
		args = append(args, "--unshare-net")
	}
	if spec.InfoFD > 0 {
		args = append(args, "--info-fd", strconv.Itoa(spec.InfoFD))
	}
	args = append(args, bwrapSystem()...)
	if spec.EtcView != "" {
		args = append(args, "--ro-bind", spec.EtcView, "/etc")
	} else {
		args = append(args, bwrapEtcBinds()...)
	}
	if spec.Etc != "" {
		args = append(args,
			"--ro-bind", filepath.Join(spec.Etc, "passwd"), "/etc/passwd",
			"--ro-bind", filepath.Join(spec.Etc, "group"), "/etc/group",
		)
	}
	switch {
	case spec.NetEgress && spec.Resolv != "":
		args = append(args, "--ro-bind", spec.Resolv, "/etc/resolv.conf")
	case !spec.NetOff:
		args = append(args, "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf")
	}
	args = append(args,
		"--dev", "/dev",
		"--proc", "/proc",
		"--bind", spec.Tmp, "/tmp",
		"--dir", "/var",
		"--symlink", "/tmp", "/var/tmp",
		"--bind", spec.Home, spec.Home,
		"--bind", spec.Work, spec.Work,
	)
	if spec.Helper != "" {
		args = append(args, "--ro-bind", spec.Helper, localHelperPath)
	}
	for _, m := range spec.Mounts {
		flag := "--ro-bind"
		if m.Writable {
			flag = "--bind"
		}
		args = append(args, flag, m.Source, m.Target)
	}
	// The root bwrap builds is a tmpfs: make it read-only too, so writes
	// outside the workspace, HOME and /tmp fail instead of vanishing.
	args = append(args, "--remount-ro", "/")
	if spec.SeccompFD > 0 {
		args = append(args, "--seccomp", strconv.Itoa(spec.SeccompFD))
	}
	if spec.Cwd != "" {
		args = append(args, "--chdir", spec.Cwd)
	}
	args = append(args, "--")
	return append(args, spec.Argv...)
}

// bwrapSpec describes a process of this sandbox running argv in cwd. The
// seccomp program, when there is one, goes in as fd 3 (ExtraFiles[0]).
func (s *localSandbox) bwrapSpec(cwd string, argv ...string) bwrapSpec {
	return bwrapSpec{
		Work:      s.info.WorkDir,
		Home:      s.homeDir(),
		Tmp:       s.tmpDir(),
		Etc:       s.etcDir(),
		EtcView:   s.p.etcViewDir(),
		Cwd:       cwd,
		NetOff:    s.network == "off",
		NetEgress: s.egress(),
		Mounts:    s.mounts(),
		SeccompFD: 3,
		Argv:      argv,
	}
}

// mounts are the provider's extra mounts with ~ destinations resolved to
// this sandbox's HOME.
func (s *localSandbox) mounts() []Mount {
	out := make([]Mount, len(s.p.mounts))
	for i, m := range s.p.mounts {
		m.Target = localMountTarget(m, s.homeDir())
		out[i] = m
	}
	return out
}
