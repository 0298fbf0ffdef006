package ui

import (
	"strings"
	"testing"
)

// The sandbox pane says what the sandbox's network reaches; a confined
// sandbox sharing the host's network (local network "host") carries a
// banner all the time, egress only and off do not.
func TestSandboxNetworkShownAndHostFlagged(t *testing.T) {
	for _, network := range []string{
		"egress only (slirp4netns: own network namespace, host loopback unreachable, DNS via 10.0.2.3)",
		"off (own network namespace: no TCP, no DNS, no host sockets)",
		"host (chosen in configuration): shares this machine's network, its loopback services and DNS",
	} {
		eng := newFakeEngine()
		m := newTestModel(t, eng, 160, 40)
		ev := evSandbox("started")
		ev.Sandbox.Isolation = "bwrap (user namespace, no capabilities, seccomp)"
		ev.Sandbox.Network = network
		eng.Emit(ev)
		pump(m, eng)
		s := screen(m)
		if !strings.Contains(s, "network   "+network[:11]) {
			t.Fatalf("sandbox pane lacks the network %q:\n%s", network, s)
		}
		got := strings.Contains(s, "shared network")
		if want := strings.HasPrefix(network, "host"); got != want {
			t.Fatalf("network %q: banner shown = %v, want %v\n%s", network, got, want, s)
		}
	}
}
