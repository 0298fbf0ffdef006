package mcp_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/mcp"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// daytonaWithServer is a sandbox on Daytona's real toolbox daemon holding
// the test server; the daemon is returned for leak checks.
func daytonaWithServer(t *testing.T) (sandbox.Sandbox, *realdaemon.Daemon) {
	t.Helper()
	sb, d := realdaemon.Sandbox(t)
	ctx := context.Background()
	bin, err := os.ReadFile(serverBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.WriteFile(ctx, "mcpserver", bin); err != nil {
		t.Fatal(err)
	}
	if res, err := sandbox.Run(ctx, sb, "chmod +x mcpserver"); err != nil || res.ExitCode != 0 {
		t.Fatalf("chmod: %+v %v", res, err)
	}
	return sb, d
}

// TestServerInsideADaytonaSandbox: on Daytona, whose exec has no stdin, a
// stdio server runs on a terminal of the sandbox, speaks the protocol
// byte for byte (a reply bigger than a terminal line included), and
// leaves no process and no session behind once closed.
func TestServerInsideADaytonaSandbox(t *testing.T) {
	sb, d := daytonaWithServer(t)
	ctx := context.Background()
	src := mcp.Source{Servers: []mcp.Server{{Name: "t", Command: "./mcpserver", StartTimeout: 20 * time.Second}}}
	tools, closer, err := src.Tools(ctx, sb)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 3 || toolNamed(tools, "t__echo") == nil {
		t.Fatalf("tools %d", len(tools))
	}
	long := strings.Repeat("é\tx\"y\\z ", 1200) // ~10 KB: over the 4 KiB a cooked terminal line holds
	for _, text := range []string{"hi", long} {
		res, err := call(t, toolNamed(tools, "t__echo"), sb, `{"text":`+jsonString(text)+`}`)
		if err != nil || res.Content != "echo: "+text || res.IsError {
			t.Fatalf("echo of %d bytes: %d bytes back, %v", len(text), len(res.Content), err)
		}
	}
	res, err := call(t, toolNamed(tools, "t__where"), sb, `{}`)
	if err != nil || !strings.Contains(res.Content, "cwd="+sb.WorkDir()) {
		t.Fatalf("the server did not run in the sandbox's work dir: %+v %v", res, err)
	}
	if err := closer.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	// The sandbox's pool of exec sessions (and the daemon's helpers) stay
	// until the sandbox goes; the server and its terminal must not.
	var left []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		left = nil
		procs, err := d.Processes()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range procs {
			if strings.Contains(p.Args, "mcpserver") {
				left = append(left, p.Args)
			}
		}
		if len(left) == 0 {
			break
		}
	}
	if len(left) != 0 {
		t.Errorf("server processes left after Close: %q", left)
	}
	if pty, err := d.PtySessions(ctx); err != nil || len(pty) != 0 {
		t.Errorf("PTY sessions left after Close: %v (%v)", pty, err)
	}
}

// TestDaytonaServerThatDiesIsAnErrorNotAHang: a server that exits on a
// Daytona terminal ends its calls with an error naming it, at once.
func TestDaytonaServerThatDiesIsAnErrorNotAHang(t *testing.T) {
	sb, _ := daytonaWithServer(t)
	src := mcp.Source{Servers: []mcp.Server{{Name: "t", Command: "./mcpserver", CallTimeout: 5 * time.Second, StartTimeout: 20 * time.Second}}}
	tools, closer, err := src.Tools(context.Background(), sb)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	start := time.Now()
	if _, err := call(t, toolNamed(tools, "t__crash"), sb, `{}`); err == nil {
		t.Fatal("a crashed server's call succeeded")
	}
	time.Sleep(200 * time.Millisecond)
	_, err = call(t, toolNamed(tools, "t__echo"), sb, `{"text":"x"}`)
	if err == nil || time.Since(start) > 8*time.Second || !strings.Contains(err.Error(), "MCP server t") {
		t.Fatalf("after the crash: %v (after %s)", err, time.Since(start))
	}
}

// TestDaytonaServerThatFailsToStartIsReported: a command that is no
// server fails its start with its own words, not a hang.
func TestDaytonaServerThatFailsToStartIsReported(t *testing.T) {
	sb, _ := daytonaWithServer(t)
	src := mcp.Source{Servers: []mcp.Server{{Name: "bad", Command: "echo not-a-server >&2; exit 7", StartTimeout: 10 * time.Second}}}
	_, closer, err := src.Tools(context.Background(), sb)
	defer closer.Close()
	if err == nil || !strings.Contains(err.Error(), "mcp server bad did not start") {
		t.Fatalf("err = %v", err)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
