package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Network "on" under bubblewrap is egress only (netslirp.go). These run as
// root and, through TestEscapesAsNobody, as nobody.

func localNeedSlirp(t *testing.T) {
	t.Helper()
	localNeedBwrap(t)
	if _, err := localFindSlirp(); err != nil {
		t.Skipf("egress-only network unavailable here: %v", err)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: it makes the socket connections")
	}
}

// localPyConnect is a script that tries each (family, address) and prints
// CONNECTED or refused per address; a TCP connection sends payload.
func localPyConnect(payload string, addrs ...string) string {
	return `python3 - <<'EOF'
import socket
for fam, addr in (` + strings.Join(addrs, ", ") + `,):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(addr); s.sendall(b"` + payload + `\n"); print("CONNECTED", addr)
    except OSError as e:
        print("refused", addr, e)
EOF`
}

func localPyTCP(host string, port int) string {
	return `(socket.AF_INET, ("` + host + `", ` + strconv.Itoa(port) + `))`
}

// localAccepts records what connects to l.
func localAccepts(l net.Listener) <-chan string {
	got := make(chan string, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			got <- l.Addr().String() + " " + strings.TrimSpace(line)
			c.Close()
		}
	}()
	return got
}

func localPort(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }

func TestNetworkEgressBlocksHostLoopbackAndSockets(t *testing.T) {
	localNeedSlirp(t)
	name := localMarker()
	abstract, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Skipf("abstract socket: %v", err)
	}
	defer abstract.Close()
	dir, err := os.MkdirTemp("/tmp", "tn-") // short: a socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	pathSock, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer pathSock.Close()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	// A stand-in for the host's DNS stub (systemd-resolved's 127.0.0.53):
	// TCP and UDP on a 127.0.0.x address.
	resolver, err := net.Listen("tcp", "127.0.0.53:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.53: %v", err)
	}
	defer resolver.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.53:"+strconv.Itoa(localPort(resolver)))
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	udpGot := make(chan string, 4)
	go func() {
		buf := make([]byte, 512)
		for {
			n, _, err := udp.ReadFrom(buf)
			if err != nil {
				return
			}
			udpGot <- string(buf[:n])
		}
	}()
	accepted := []<-chan string{localAccepts(abstract), localAccepts(pathSock), localAccepts(tcp), localAccepts(resolver)}

	sb := localEscapeSandbox(t, Options{Network: sandbox.NetworkOn}, sandbox.Spec{})
	info, _ := sb.Info(context.Background())
	if !strings.HasPrefix(info.Network, "egress only") {
		t.Fatalf("Info.Network = %q, want egress only", info.Network)
	}
	// 10.0.2.2 is slirp4netns's address for the host's loopback: it must
	// be shut (--disable-host-loopback).
	script := localPyConnect("sandbox",
		`(socket.AF_UNIX, "\0`+name+`")`, `(socket.AF_UNIX, "`+filepath.Join(dir, "s.sock")+`")`,
		localPyTCP("127.0.0.1", localPort(tcp)), localPyTCP("10.0.2.2", localPort(tcp)),
		localPyTCP("127.0.0.53", localPort(resolver)), localPyTCP("10.0.2.2", localPort(resolver))) + `
python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for a in ("127.0.0.53", "10.0.2.2"):
    s.sendto(b"udp-from-sandbox", (a, ` + strconv.Itoa(localPort(resolver)) + `))
'
cat /etc/resolv.conf`
	_, out := localRun(t, sb, script)
	if strings.Contains(out, "CONNECTED") {
		t.Errorf("egress-only network reached the host:\n%s", out)
	}
	if strings.Count("\n"+out, "\nrefused ") != 6 {
		t.Errorf("not every attempt ran:\n%s", out)
	}
	if !strings.Contains(out, "nameserver "+localSlirpDNS) || strings.Contains(out, "nameserver 127.") {
		t.Errorf("the sandbox's resolv.conf does not point at slirp4netns's resolver only:\n%s", out)
	}
	for _, ch := range accepted {
		select {
		case a := <-ch:
			t.Errorf("host listener %s accepted a connection from the sandbox", a)
		default:
		}
	}
	select {
	case m := <-udpGot:
		t.Errorf("the host's 127.0.0.53 got a datagram from the sandbox: %q", m)
	case <-time.After(200 * time.Millisecond):
	}
}

// localHostAddr is a non-loopback IPv4 address of this machine, "" if none.
func localHostAddr() string {
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				return ipn.IP.String()
			}
		}
	}
	return ""
}

func TestNetworkEgressReachesOutside(t *testing.T) {
	localNeedSlirp(t)
	addr := localHostAddr()
	if addr == "" {
		t.Skip("this machine has no non-loopback IPv4 address to serve from")
	}
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := localAccepts(l)
	sb := localEscapeSandbox(t, Options{Network: sandbox.NetworkOn}, sandbox.Spec{})
	marker := localMarker()
	_, out := localRun(t, sb, localPyConnect(marker, localPyTCP(addr, localPort(l))))
	if !strings.Contains(out, "CONNECTED") {
		t.Fatalf("egress to %s failed:\n%s", l.Addr(), out)
	}
	select {
	case m := <-got:
		if !strings.HasSuffix(m, marker) {
			t.Fatalf("server got %q, want the sandbox's %s", m, marker)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server on the host's own address never heard from the sandbox")
	}
	// The PTY shell (through the init, or with a network of its own when it
	// runs outside it) reaches out too.
	term, ok := sb.(sandbox.Terminal)
	if !ok {
		return
	}
	sh, err := term.OpenShell(context.Background(), sandbox.ShellSpec{})
	if err != nil {
		t.Fatalf("OpenShell: %v", err)
	}
	defer sh.Close(context.Background())
	go func() { _, _ = io.Copy(io.Discard, sh) }()
	shMarker := localMarker()
	if err := sh.Send(context.Background(), []byte(localPyConnect(shMarker, localPyTCP(addr, localPort(l)))+"\nexit\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if !strings.HasSuffix(m, shMarker) {
			t.Fatalf("server got %q, want the shell's %s", m, shMarker)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the shell's connection never came")
	}
}

// localSlirpPIDs lists live slirp4netns processes of sandbox id.
func localSlirpPIDs(id string) []int {
	needle := []byte("\x00" + localSandboxTag(id) + "net")
	names, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range names {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || localZombie(pid) {
			continue
		}
		env, err := localReadEnviron(pid, nil)
		if err == nil && bytes.Contains(env, needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestNetworkEgressSlirpNeverOutlivesTheSandbox(t *testing.T) {
	localNeedSlirp(t)
	p := localTestProvider(t, Options{Isolation: IsolationBwrap, Network: sandbox.NetworkOn})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(context.Background())
	id := sb.ID()
	localRun(t, sb, "true")
	if n := len(localSlirpPIDs(id)); n != 1 {
		t.Fatalf("%d slirp4netns for a running sandbox, want 1", n)
	}
	// The agent (or anything) kills the sandbox's init: its network goes
	// with it, and the next command brings both back.
	ls := sb.(*localSandbox)
	ls.initMu.Lock()
	initPID := ls.init.cmd.Process.Pid
	ls.initMu.Unlock()
	_ = syscall.Kill(-initPID, syscall.SIGKILL)
	localWaitFor(t, "slirp4netns to end with its sandbox's init", func() bool { return len(localSlirpPIDs(id)) == 0 })
	localWaitFor(t, "the init to be seen dead", func() bool {
		ls.initMu.Lock()
		defer ls.initMu.Unlock()
		select {
		case <-ls.init.done:
			return true
		default:
			return false
		}
	})
	localRun(t, sb, "true")
	if n := len(localSlirpPIDs(id)); n != 1 {
		t.Fatalf("%d slirp4netns after the init restarted, want 1", n)
	}
	if err := sb.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pids := localSlirpPIDs(id); len(pids) != 0 {
		t.Fatalf("slirp4netns %v still running after Close", pids)
	}
}

func TestNetworkOnWithoutSlirpRefuses(t *testing.T) {
	localNeedBwrap(t)
	old := localSlirpName
	localSlirpName = "slirp4netns-not-installed-" + localMarker()
	defer func() { localSlirpName = old }()
	p := localTestProvider(t, Options{Isolation: IsolationBwrap, Network: sandbox.NetworkOn})
	_, err := p.Create(context.Background(), sandbox.Spec{})
	if err == nil {
		t.Fatal("network on without slirp4netns: Create succeeded")
	}
	for _, want := range []string{"slirp4netns", "apt-get install slirp4netns", `network = "off"`, `network = "host"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("refusal does not wrap the cause: %v", err)
	}
	// Chosen explicitly, "host" works without it, shares the host's
	// network (its loopback is in reach), and says so.
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := localAccepts(l)
	p = localTestProvider(t, Options{Isolation: IsolationBwrap, Network: NetworkHost})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatalf("network host: %v", err)
	}
	defer sb.Close(context.Background())
	info, _ := sb.Info(context.Background())
	if !strings.HasPrefix(info.Network, "host") {
		t.Errorf("Info.Network = %q, want it to say host", info.Network)
	}
	_, out := localRun(t, sb, localPyConnect("host-mode", localPyTCP("127.0.0.1", localPort(l))))
	if !strings.Contains(out, "CONNECTED") {
		t.Fatalf("network host did not reach the host's loopback:\n%s", out)
	}
	<-got
}
