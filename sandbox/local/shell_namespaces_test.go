package local

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// A sandbox is one set of namespaces: its PTY shells (the agent's terminal,
// the user's wheel) are started by its init like Exec's commands, so a
// server one shell starts on 127.0.0.1 is reachable from Exec and from
// another shell, a shell's processes are visible from Exec, and network
// "on" has one slirp4netns for all of them. Runs as root and, through
// TestEscapesAsNobody (TestSandbox prefix), as nobody.
func TestSandboxShellsShareNamespaces(t *testing.T) {
	for _, network := range []string{sandbox.NetworkOff, sandbox.NetworkOn} {
		t.Run(network, func(t *testing.T) {
			if network == sandbox.NetworkOn {
				localNeedSlirp(t)
			} else {
				localNeedBwrap(t)
			}
			localShellsShareNamespaces(t, network)
		})
	}
}

// localTestShell is an open shell whose output is collected.
type localTestShell struct {
	sh  sandbox.Shell
	out *localSyncBuffer
}

func localOpenTestShell(t *testing.T, sb sandbox.Sandbox) *localTestShell {
	t.Helper()
	sh, err := sb.(sandbox.Terminal).OpenShell(context.Background(), sandbox.ShellSpec{})
	if err != nil {
		t.Fatalf("OpenShell: %v", err)
	}
	t.Cleanup(func() { _ = sh.Close(context.Background()) })
	ts := &localTestShell{sh: sh, out: newLocalSyncBuffer()}
	go func() { _, _ = io.Copy(ts.out, sh) }()
	return ts
}

// run types line into the shell and waits until its output holds want.
func (ts *localTestShell) run(t *testing.T, line, want string) {
	t.Helper()
	if err := ts.sh.Send(context.Background(), []byte(line+"\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(ts.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("shell output never held %q after %q:\n%s", want, line, ts.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func localShellsShareNamespaces(t *testing.T, network string) {
	sb := localEscapeSandbox(t, Options{Network: network}, sandbox.Spec{})
	marker := localMarker()
	a := localOpenTestShell(t, sb)
	// A server on the loopback, started in the background of shell A; its
	// argv[0] is marker, its pid and port go to /tmp (one directory for
	// the whole sandbox, whatever its namespaces).
	server := `import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open("/tmp/port.new", "w").write(str(s.getsockname()[1]))
import os; os.rename("/tmp/port.new", "/tmp/port")
while True:
    c, _ = s.accept(); c.sendall(("HELLO-" + sys.argv[1]).encode() + b"\n"); c.close()
`
	a.run(t, `(exec -a `+marker+` python3 -c '`+server+`' `+marker+`) & echo "$!" > /tmp/pid; echo started-$((6*7))`, "started-42")
	_, port := localRun(t, sb, `for i in $(seq 200); do [ -s /tmp/port ] && break; sleep 0.05; done; cat /tmp/port`)
	if _, err := strconv.Atoi(strings.TrimSpace(port)); err != nil {
		t.Fatalf("the shell's server wrote no port: %q\n%s", port, a.out.String())
	}
	// The client neither types nor prints the marker unless the server
	// sent it.
	client := `python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", int(open("/tmp/port").read())), 3); print(s.recv(200).decode().strip())'`
	want := "HELLO-" + marker
	if res, out := localRun(t, sb, client+" 2>&1"); !strings.Contains(out, want) {
		t.Errorf("Exec could not reach the shell's server on 127.0.0.1 (exit %d):\n%s", res.ExitCode, out)
	}
	// The server is visible from Exec by the pid shell A saw.
	if _, out := localRun(t, sb, `tr '\0' ' ' < /proc/$(cat /tmp/pid)/cmdline 2>&1`); !strings.HasPrefix(out, marker+" ") {
		t.Errorf("Exec does not see the shell's process at the pid the shell gave: %q", out)
	}
	b := localOpenTestShell(t, sb)
	if network == sandbox.NetworkOn {
		if n := len(localSlirpPIDs(sb.ID())); n != 1 {
			t.Errorf("%d slirp4netns with two shells open, want 1 for the sandbox", n)
		}
	}
	b.run(t, client, want)
	// Shell B is confined as Exec's commands are.
	b.run(t, `grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr '\t' ' '`, "Seccomp: 2")
	if !strings.Contains(b.out.String(), "NoNewPrivs: 1") {
		t.Errorf("the shell runs without no_new_privs:\n%s", b.out.String())
	}
	if err := sb.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	localWaitGone(t, marker)
}
