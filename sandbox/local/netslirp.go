package local

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Network "on" under bubblewrap is egress only: the sandbox gets its own
// network namespace (--unshare-net) and slirp4netns gives it user-mode
// networking to the outside world. slirp4netns was chosen over pasta
// because it runs the same way as root and as an unprivileged user (both
// tried here), has an explicit switch that keeps the host's loopback out
// (--disable-host-loopback: 10.0.2.2 is unreachable), a built-in DNS
// forwarder at 10.0.2.3 (the sandbox's /etc/resolv.conf points there, so
// the host's own resolver address, often 127.0.0.x, is never used inside),
// and confines itself (--enable-sandbox: own mount namespace, no
// capabilities; --enable-seccomp). What the sandbox cannot reach: anything
// on the host's loopback (databases, a Docker API on TCP, the host's DNS
// stub), host Unix sockets (abstract ones are per network namespace; files
// are outside its mount view). What it can reach: every address the host
// can reach, including the host's own non-loopback addresses.
//
// One slirp4netns serves one network namespace: the init's (shared by every
// Exec command and PTY shell) and, only when there is no helper, one per
// command or shell, each then a bubblewrap of its own. It never outlives what it
// serves: it is stopped when the bubblewrap it serves ends (watched through
// a pidfd), at Close, and by itself when tether dies (--exit-fd: tether
// holds the only write end). It carries the sandbox's tag in its
// environment, so the sweeps that find a dead tether's processes find it.

// NetworkHost is the local network mode that shares the host's network
// namespace, as network "on" did before it became egress only. It must be
// chosen explicitly, and every surface says so.
const NetworkHost = "host"

// localSlirpMTU is slirp4netns's largest MTU: fewer, bigger packets through
// the user-mode stack.
const localSlirpMTU = "65520"

// localSlirpDNS is slirp4netns's built-in DNS forwarder, as the sandbox sees it.
const localSlirpDNS = "10.0.2.3"

// localNetTimeout bounds slirp4netns's start (it configures in a few
// milliseconds) and reading bubblewrap's child pid.
const localNetTimeout = 10 * time.Second

// HostNetworkWarning is what surfaces say when network "host" is in force.
const HostNetworkWarning = "network \"host\": the agent's commands share this machine's network: services on 127.0.0.1, host sockets and the host's DNS are in reach (set [local] network = \"on\" for egress only)"

// localNetDescribe is Info.Network for a sandbox of mode network under iso.
func localNetDescribe(network string, iso localIsolation) string {
	switch {
	case !iso.bwrap:
		return "host (isolation none: commands share this machine's network)"
	case network == "off":
		return "off (own network namespace: no TCP, no DNS, no host sockets)"
	case network == NetworkHost:
		return "host (chosen in configuration): shares this machine's network, its loopback services and DNS"
	}
	return "egress only (slirp4netns: own network namespace, host loopback unreachable, DNS via " + localSlirpDNS + ")"
}

// egress reports whether this sandbox's bubblewrap processes get their own
// network namespace served by slirp4netns.
func (s *localSandbox) egress() bool {
	return s.iso.bwrap && s.network == "on"
}

// localSlirpMissing is the refusal when network "on" needs slirp4netns and
// it is not there or cannot work.
func localSlirpMissing(err error) error {
	return fmt.Errorf("local sandbox: network \"on\" (egress only) cannot be set up: %w; or set [local] network = \"off\" for no network, or network = %q to share this machine's network (loopback services and DNS included)", err, NetworkHost)
}

// localSlirpName is the program localFindSlirp looks for; a variable so
// tests can take it away.
var localSlirpName = "slirp4netns"

// localFindSlirp finds slirp4netns and checks it can make the sandbox's
// tap device.
func localFindSlirp() (string, error) {
	bin, err := exec.LookPath(localSlirpName)
	if err != nil {
		return "", fmt.Errorf("slirp4netns is not installed (%w): install it (apt-get install slirp4netns, dnf install slirp4netns)", err)
	}
	tun, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("slirp4netns needs /dev/net/tun, which tether cannot open here (%w): give it its usual mode (chmod 0666 /dev/net/tun) or run tether as root", err)
	}
	_ = tun.Close()
	return bin, nil
}

// localWriteResolv writes the resolv.conf an egress-only sandbox sees.
func localWriteResolv(etcDir string) error {
	if err := os.MkdirAll(etcDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(etcDir, "resolv.conf"), []byte("nameserver "+localSlirpDNS+"\n"), 0o644)
}

// localNetStart is a bubblewrap process's network on its way up: the read
// end of bubblewrap's --info-fd, from which its child's pid comes.
type localNetStart struct {
	info   *os.File
	infoW  *os.File // the child's end, closed once the child started
	s      *localSandbox
	closed bool
}

// netPrepare, for an egress sandbox, adds bubblewrap's --info-fd to spec
// (as the next descriptor after extra) and its write end to extra; nil
// otherwise. attach finishes the job once the process started.
func (s *localSandbox) netPrepare(spec *bwrapSpec, extra *[]*os.File) (*localNetStart, error) {
	if !s.egress() {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox network: %w", err)
	}
	spec.InfoFD = 3 + len(*extra)
	spec.Resolv = filepath.Join(s.etcDir(), "resolv.conf")
	*extra = append(*extra, w)
	return &localNetStart{info: r, infoW: w, s: s}, nil
}

// abort releases what netPrepare made when the process did not start.
func (n *localNetStart) abort() {
	if n == nil || n.closed {
		return
	}
	n.closed = true
	_ = n.info.Close()
	_ = n.infoW.Close()
}

// attach reads the child's pid from bubblewrap (started as pid) and starts
// slirp4netns in its network namespace; it returns once the network is
// configured. The slirp4netns stops when that bubblewrap ends.
func (n *localNetStart) attach(pid int) (*localSlirp, error) {
	if n == nil {
		return nil, nil
	}
	defer n.abort()
	_ = n.infoW.Close()
	_ = n.info.SetReadDeadline(time.Now().Add(localNetTimeout))
	var info struct {
		ChildPID int `json:"child-pid"`
	}
	if err := json.NewDecoder(n.info).Decode(&info); err != nil || info.ChildPID <= 0 {
		return nil, fmt.Errorf("sandbox network: bubblewrap did not say its child's pid (%v)", err)
	}
	// bubblewrap's child adds 127.0.0.1 to lo (failing if it is there
	// already) and brings it up; slirp4netns brings lo up too, which adds
	// the address by itself: wait until bubblewrap is done with lo, or its
	// setup fails ("loopback: Failed RTM_NEWADDR").
	if err := localWaitLoopback(info.ChildPID); err != nil {
		return nil, err
	}
	sl, err := localStartSlirp(n.s.iso.slirp, info.ChildPID, []string{"PATH=/usr/bin:/bin", localSandboxTag(n.s.info.ID) + "net"})
	if err != nil {
		return nil, err
	}
	n.s.addSlirp(sl)
	go func() {
		localWaitPID(pid, sl.done)
		sl.stop()
		n.s.dropSlirp(sl)
	}()
	return sl, nil
}

// localWaitLoopback returns once the network namespace of process pid
// has its loopback up (127.0.0.1 is a local route there).
func localWaitLoopback(pid int) error {
	path := "/proc/" + strconv.Itoa(pid) + "/net/fib_trie"
	deadline := time.Now().Add(localNetTimeout)
	for {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("sandbox network: bubblewrap's child ended before its network was set up (%w)", err)
		}
		if bytes.Contains(data, []byte("127.0.0.1")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sandbox network: bubblewrap's loopback not up after %s", localNetTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// localSlirp is one running slirp4netns.
type localSlirp struct {
	cmd   *exec.Cmd
	exitW *os.File      // closing it ends slirp4netns (--exit-fd)
	done  chan struct{} // closed when slirp4netns has exited
	once  sync.Once
}

// localStartSlirp starts slirp4netns in the network namespace of process
// childPID, joining the user namespace that owns it (unprivileged,
// bubblewrap nests the sandbox's user namespace in the one owning its
// network namespace, so the child's own would not do), and waits until
// the namespace's tap0 is configured.
func localStartSlirp(bin string, childPID int, env []string) (*localSlirp, error) {
	netns, err := os.Open("/proc/" + strconv.Itoa(childPID) + "/ns/net")
	if err != nil {
		return nil, fmt.Errorf("sandbox network: %w", err)
	}
	defer netns.Close()
	const nsGetUserns = 0xb701 // NS_GET_USERNS, <linux/nsfs.h>
	ufd, err := unix.IoctlRetInt(int(netns.Fd()), nsGetUserns)
	if err != nil {
		return nil, fmt.Errorf("sandbox network: owner of the network namespace: %w", err)
	}
	userns := os.NewFile(uintptr(ufd), "userns")
	defer userns.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox network: %w", err)
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		_ = readyW.Close()
		return nil, fmt.Errorf("sandbox network: %w", err)
	}
	// fds in the child: 3 ready, 4 exit, 5 user namespace, 6 network namespace.
	cmd := exec.Command(bin,
		"--configure", "--mtu="+localSlirpMTU, "--disable-host-loopback",
		"--enable-sandbox", "--enable-seccomp",
		"--ready-fd=3", "--exit-fd=4",
		"--userns-path=/proc/self/fd/5", "--netns-type=path", "/proc/self/fd/6", "tap0")
	cmd.ExtraFiles = []*os.File{readyW, exitR, userns, netns}
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &localLimited{w: &stderr, n: 4096}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	_ = readyW.Close()
	_ = exitR.Close()
	if err != nil {
		_ = exitW.Close()
		return nil, fmt.Errorf("sandbox network: start slirp4netns: %w", err)
	}
	sl := &localSlirp{cmd: cmd, exitW: exitW, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(sl.done)
	}()
	_ = readyR.SetReadDeadline(time.Now().Add(localNetTimeout))
	buf := make([]byte, 1)
	if n, err := readyR.Read(buf); n == 1 && buf[0] == '1' {
		return sl, nil
	} else if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		<-sl.done // it ended before it was ready: its stderr says why
	}
	sl.stop()
	msg := strings.TrimSpace(localSlirpNoise(stderr.String()))
	return nil, fmt.Errorf("sandbox network: slirp4netns did not come up: %s", msg)
}

// localSlirpNoise drops the lines slirp4netns always prints.
func localSlirpNoise(s string) string {
	var keep []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, "seccomp is experimental") || strings.HasPrefix(line, "sent tapfd") || strings.HasPrefix(line, "received tapfd") {
			continue
		}
		keep = append(keep, strings.TrimSpace(line))
	}
	return strings.Join(keep, "; ")
}

// stop ends slirp4netns and waits for it to be gone. It is killed: it
// keeps nothing worth a clean exit, and leaving on --exit-fd takes it
// 15-50 ms.
func (sl *localSlirp) stop() {
	sl.once.Do(func() {
		_ = sl.cmd.Process.Kill()
		_ = sl.exitW.Close()
	})
	<-sl.done
}

// localWaitPID returns when process pid has exited, or when stop is closed.
func localWaitPID(pid int, stop <-chan struct{}) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return // already gone
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	go func() {
		<-stop
		_ = f.SetReadDeadline(time.Now())
	}()
	_ = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err != nil || n > 0
	})
}

func (s *localSandbox) addSlirp(sl *localSlirp) {
	s.netMu.Lock()
	if s.slirps == nil {
		s.slirps = map[*localSlirp]struct{}{}
	}
	s.slirps[sl] = struct{}{}
	s.netMu.Unlock()
}

func (s *localSandbox) dropSlirp(sl *localSlirp) {
	s.netMu.Lock()
	delete(s.slirps, sl)
	s.netMu.Unlock()
}

// stopNetwork ends every slirp4netns of the sandbox and waits for them.
func (s *localSandbox) stopNetwork() {
	s.netMu.Lock()
	all := make([]*localSlirp, 0, len(s.slirps))
	for sl := range s.slirps {
		all = append(all, sl)
	}
	s.slirps = nil
	s.netMu.Unlock()
	for _, sl := range all {
		sl.stop()
	}
}

// start starts cmd, made by command, pinned to the sandbox's CPUs, and its
// network when it has one of its own; a process whose network fails is
// killed.
func (s *localSandbox) start(cmd *exec.Cmd) error {
	s.netMu.Lock()
	n := s.netPending[cmd]
	delete(s.netPending, cmd)
	s.netMu.Unlock()
	if err := localStartPinned(cmd, localAffinity(s.limits.CPU)); err != nil {
		n.abort()
		return err
	}
	if _, err := n.attach(cmd.Process.Pid); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	return nil
}
