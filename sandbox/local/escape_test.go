package local

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Escape attempts an agent could make from a bwrap sandbox. Each asserts
// the attempt failed and that nothing on the host changed. They run as
// whoever runs the tests (root here) and, through TestEscapesAsNobody, once
// more as an unprivileged user when the machine allows it.

func localEscapeSandbox(t *testing.T, opts Options, spec sandbox.Spec) sandbox.Sandbox {
	t.Helper()
	localNeedBwrap(t)
	opts.Isolation = IsolationBwrap
	p := localTestProvider(t, opts)
	sb, err := p.Create(context.Background(), spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close(context.Background()) })
	return sb
}

func TestSandboxHasNoCapabilities(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	_, out := localRun(t, sb, "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status")
	for _, want := range []string{"CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

func TestSandboxCannotRemountOrUnshare(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	marker := "pwned-" + localMarker()
	script := `mount -o remount,rw,bind / 2>&1; echo "remount=$?"
mount -o remount,rw /usr 2>&1; echo "usr=$?"
mount -t tmpfs none /mnt 2>&1; echo "tmpfs=$?"
unshare -r true 2>&1; echo "unshare=$?"
unshare -m true 2>&1; echo "unsharem=$?"
echo x > /usr/` + marker + ` 2>&1; echo "write=$?"`
	_, out := localRun(t, sb, script)
	for _, ok := range []string{"remount=0", "usr=0", "tmpfs=0", "unshare=0", "unsharem=0", "write=0"} {
		if strings.Contains(out, ok+"\n") {
			t.Errorf("%s succeeded:\n%s", strings.TrimSuffix(ok, "=0"), out)
		}
	}
	if _, err := os.Stat("/usr/" + marker); !errors.Is(err, os.ErrNotExist) {
		_ = os.Remove("/usr/" + marker)
		t.Fatalf("the sandbox wrote /usr/%s on the host (stat err %v)", marker, err)
	}
}

// localPlant writes a marker file into the host's home and tether's config
// directory, removed when the test ends.
func localPlant(t *testing.T) (secret string, paths []string) {
	t.Helper()
	secret = "SECRET-" + localMarker()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skipf("no home directory: %v", err)
	}
	cfgDir, _ := os.UserConfigDir()
	for _, p := range []string{filepath.Join(home, ".tether-escape-"+localMarker()), filepath.Join(cfgDir, "tether", "escape-"+localMarker()+".toml")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Skipf("cannot plant a marker: %v", err)
		}
		if err := os.WriteFile(p, []byte("api_key = \""+secret+"\"\n"), 0o600); err != nil {
			t.Skipf("cannot plant a marker: %v", err)
		}
		t.Cleanup(func() { _ = os.Remove(p) })
		paths = append(paths, p)
	}
	return secret, paths
}

func TestSandboxCannotReadHostFiles(t *testing.T) {
	secret, paths := localPlant(t)
	t.Setenv("LLM_API_KEY", secret)
	t.Setenv("DAYTONA_API_KEY", secret)
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	script := "cat " + strings.Join(paths, " ") + " 2>&1\n" +
		`cat /proc/$PPID/environ /proc/1/environ 2>&1; env
for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null; done
ls -a ~ /root /home 2>&1; cat /etc/shadow 2>&1; head -c 200 /etc/passwd`
	_, out := localRun(t, sb, script)
	if strings.Contains(out, secret) {
		t.Fatalf("the sandbox read a host secret:\n%s", out)
	}
	for _, p := range paths {
		for _, q := range []string{p, "/proc/self/root" + p, "/proc/1/root" + p} {
			if data, err := sb.ReadFile(context.Background(), q); err == nil || strings.Contains(string(data), secret) {
				t.Errorf("ReadFile(%s) = %q, %v: want an error", q, data, err)
			}
		}
	}
}

func TestEditorCannotFollowLinksOut(t *testing.T) {
	secret, paths := localPlant(t)
	outside := t.TempDir()
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	work := sb.WorkDir()
	// Links the agent could plant: to a host file, to a host directory, and
	// to /proc/self/root, which in tether's process is the host's /.
	for name, target := range map[string]string{"file": paths[0], "dir": outside, "proc": "/proc/self/root"} {
		if err := os.Symlink(target, filepath.Join(work, name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, p := range []string{"file", work + "/file", "proc" + paths[0], "../../../../../../.." + paths[0], "/proc/self/root" + paths[0]} {
		if data, err := sb.ReadFile(ctx, p); err == nil || strings.Contains(string(data), secret) {
			t.Errorf("ReadFile(%s) = %q, %v: want an error", p, data, err)
		}
	}
	for _, p := range []string{"dir/planted", "proc" + outside + "/planted", "../../../../../../.." + outside + "/planted"} {
		_ = sb.WriteFile(ctx, p, []byte("x"))
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("WriteFile through a link wrote %v outside the sandbox", entries)
	}
	if data, _ := os.ReadFile(paths[0]); !strings.Contains(string(data), secret) {
		t.Fatalf("host file changed: %q", data)
	}
	// The agent's own files still work, links inside the workspace included.
	if err := sb.WriteFile(ctx, "a/b.txt", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	_ = os.Symlink("a/b.txt", filepath.Join(work, "rel"))
	if data, err := sb.ReadFile(ctx, "rel"); err != nil || string(data) != "ok" {
		t.Fatalf("ReadFile(rel) = %q, %v", data, err)
	}
	if data, err := sb.ReadFile(ctx, "/etc/os-release"); err != nil || len(data) == 0 {
		t.Fatalf("ReadFile of a system file the sandbox sees: %q, %v", data, err)
	}
}

func TestSandboxWritesStayInside(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	meta := filepath.Join(filepath.Dir(sb.WorkDir()), localMetaFile)
	before, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	marker := localMarker()
	_, out := localRun(t, sb, `for d in /etc /usr /var /opt /root /home /srv "`+filepath.Dir(sb.WorkDir())+`"; do echo x > "$d/`+marker+`" 2>/dev/null && echo "wrote $d"; done
echo '{"state":"hacked"}' > "`+meta+`" 2>/dev/null && echo "wrote meta"; true`)
	// The sandbox's directory may lie under /tmp (it does in tests), which
	// inside is the sandbox's own /tmp: writing there is allowed. The host
	// checks below are what matter.
	for _, d := range []string{"/etc", "/usr", "/var", "/opt", "/root", "/home", "/srv"} {
		if strings.Contains(out, "wrote "+d+"\n") {
			t.Errorf("write to %s succeeded inside: %s", d, out)
		}
	}
	for _, d := range []string{"/etc", "/usr", "/var", "/opt", "/root", "/home", "/srv", filepath.Dir(sb.WorkDir())} {
		if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
			_ = os.Remove(filepath.Join(d, marker))
			t.Errorf("the sandbox wrote %s/%s on the host", d, marker)
		}
	}
	if after, _ := os.ReadFile(meta); string(after) != string(before) {
		t.Fatalf("the sandbox rewrote its meta file")
	}
}

func TestNetworkOffBlocksHostSockets(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: it makes the socket connections")
	}
	name := "tether-test-" + localMarker()
	abstract, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Skipf("abstract socket: %v", err)
	}
	defer abstract.Close()
	dir := t.TempDir()
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
	accepted := make(chan string, 3)
	for _, l := range []net.Listener{abstract, pathSock, tcp} {
		go func() {
			if c, err := l.Accept(); err == nil {
				accepted <- l.Addr().String()
				c.Close()
			}
		}()
	}
	sb := localEscapeSandbox(t, Options{Network: sandbox.NetworkOff}, sandbox.Spec{})
	script := `python3 - <<'EOF'
import socket
for fam, addr in ((socket.AF_UNIX, "\0` + name + `"), (socket.AF_UNIX, "` + filepath.Join(dir, "s.sock") + `"), (socket.AF_INET, ("127.0.0.1", ` + strings.TrimPrefix(tcp.Addr().String(), "127.0.0.1:") + `))):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(addr); print("CONNECTED", addr)
    except OSError as e:
        print("refused", e)
try:
    socket.getaddrinfo("example.com", 443); print("CONNECTED dns")
except OSError as e:
    print("no dns", e)
EOF`
	_, out := localRun(t, sb, script)
	if strings.Contains(out, "CONNECTED") {
		t.Errorf("network off but:\n%s", out)
	}
	select {
	case a := <-accepted:
		t.Fatalf("host listener %s accepted a connection from the sandbox", a)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestSetsidSurvivorsDie: a process that left its command's session and
// cleared its environment (the tag with it) dies when its command ends,
// when Close comes while its command runs, and when another provider (a
// later `tether cleanup`) deletes the sandbox; in every mode, as root and
// (TestEscapesAsNobody) not.
func TestSetsidSurvivorsDie(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		base := t.TempDir()
		p := localTestProvider(t, Options{BaseDir: base, Isolation: iso})
		ctx := context.Background()
		// The survivor says it runs before the command goes on.
		escape := func(marker string) string {
			return "(setsid env -i bash -c 'touch " + marker + "; exec -a " + marker + " sleep 300' &); " +
				"while [ ! -e " + marker + " ]; do sleep 0.01; done"
		}
		running := func(sb sandbox.Sandbox, marker string) <-chan struct{} {
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = sb.Exec(ctx, sandbox.ExecRequest{Command: escape(marker) + "; sleep 300"})
			}()
			localWaitFor(t, "the survivor to start", func() bool { return len(localLivePIDs(marker)) > 0 })
			return done
		}
		sb, err := p.Create(ctx, sandbox.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close(ctx)
		marker := localMarker()
		localRun(t, sb, escape(marker))
		localWaitGone(t, marker)

		marker = localMarker()
		done := running(sb, marker)
		if err := sb.Close(ctx); err != nil {
			t.Fatal(err)
		}
		localWaitGone(t, marker)
		<-done

		sb, err = p.Create(ctx, sandbox.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close(ctx)
		marker = localMarker()
		done = running(sb, marker)
		other := localTestProvider(t, Options{BaseDir: base, Isolation: iso})
		if err := other.Delete(ctx, sb.ID()); err != nil {
			t.Fatalf("cleanup Delete: %v", err)
		}
		localWaitGone(t, marker)
		<-done
	})
}

// TestSurvivorOfAKilledInitDies: with isolation "none" the agent can kill
// the init that reaps its orphans (it runs as the user). A survivor that
// left its session, its environment and the init behind still dies at
// Close, and at a Delete from another provider (a later `tether cleanup`),
// found by its working directory inside the sandbox.
func TestSurvivorOfAKilledInitDies(t *testing.T) {
	for _, viaOther := range []bool{false, true} {
		base := t.TempDir()
		p := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
		ctx := context.Background()
		sb, err := p.Create(ctx, sandbox.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		marker := localMarker()
		_, _ = sb.Exec(ctx, sandbox.ExecRequest{Command: "mkdir -p sub; cd sub; (setsid env -i bash -c 'touch ../" + marker + "; exec -a " + marker + " sleep 300' &); " +
			"while [ ! -e ../" + marker + " ]; do sleep 0.01; done; kill -9 $PPID; sleep 1"})
		localWaitFor(t, "the survivor", func() bool { return len(localLivePIDs(marker)) == 1 })
		time.Sleep(100 * time.Millisecond)
		if len(localLivePIDs(marker)) != 1 {
			t.Fatal("the survivor did not outlive its init: the test proves nothing")
		}
		if viaOther {
			other := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
			if err := other.Delete(ctx, sb.ID()); err != nil {
				t.Fatal(err)
			}
		} else if err := sb.Close(ctx); err != nil {
			t.Fatal(err)
		}
		localWaitGone(t, marker)
		_ = sb.Close(ctx)
	}
}
