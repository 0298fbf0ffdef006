package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/mcp"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// serverBin is the real MCP server (built on the official SDK) the tests
// start, in the sandbox or on the host.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tether-mcp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "mcpserver")
	build := exec.Command("go", "build", "-o", serverBin, "./internal/testserver")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // static: it runs in the sandbox's minimal view
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test MCP server:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sandboxWithServer is a local sandbox (bwrap where it works) holding a
// copy of the server binary in its workspace.
func sandboxWithServer(t *testing.T) sandbox.Sandbox {
	t.Helper()
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationAuto})
	if err != nil {
		t.Skipf("no isolated local sandbox here: %v", err)
	}
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(context.Background()) })
	bin, err := os.ReadFile(serverBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.WriteFile(context.Background(), "mcpserver", bin); err != nil {
		t.Fatal(err)
	}
	if res, err := sandbox.Run(context.Background(), sb, "chmod +x mcpserver"); err != nil || res.ExitCode != 0 {
		t.Fatalf("chmod: %+v %v", res, err)
	}
	return sb
}

// serverProcs counts running copies of the test server, in or out of the
// sandbox's namespaces.
func serverProcs(t *testing.T) int {
	t.Helper()
	out, _ := exec.Command("pgrep", "-f", "mcpserver").Output()
	return len(strings.Fields(string(out)))
}

func toolNamed(tools []session.Tool, name string) session.Tool {
	for _, tl := range tools {
		if tl.Definition().Name == name {
			return tl
		}
	}
	return nil
}

func call(t *testing.T, tl session.Tool, sb sandbox.Sandbox, args string) (session.ToolResult, error) {
	t.Helper()
	var out bytes.Buffer
	return tl.Run(context.Background(), session.ToolCall{ID: "c", Args: json.RawMessage(args), Sandbox: sb, Stdout: &out})
}

func TestServerInsideTheSandbox(t *testing.T) {
	sb := sandboxWithServer(t)
	t.Setenv("LLM_API_KEY", "sk-host-secret-0123456789")
	src := mcp.Source{Servers: []mcp.Server{{Name: "t", Command: "./mcpserver"}}}
	tools, closer, err := src.Tools(context.Background(), sb)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 3 || toolNamed(tools, "t__echo") == nil {
		t.Fatalf("tools %d", len(tools))
	}
	res, err := call(t, toolNamed(tools, "t__echo"), sb, `{"text":"hi"}`)
	if err != nil || res.Content != "echo: hi" || res.IsError {
		t.Fatalf("echo: %+v %v", res, err)
	}
	res, err = call(t, toolNamed(tools, "t__where"), sb, `{}`)
	if err != nil || !strings.Contains(res.Content, "cwd="+sb.WorkDir()) || !strings.Contains(res.Content, "key-visible=false") {
		t.Fatalf("the server did not run in the sandbox, without tether's keys: %+v %v", res, err)
	}
	if serverProcs(t) == 0 {
		t.Fatal("no server process seen")
	}
	if err := closer.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for serverProcs(t) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := serverProcs(t); n != 0 {
		t.Errorf("%d server processes left after Close", n)
	}
}

func TestServerThatDiesIsAnErrorNotAHang(t *testing.T) {
	sb := sandboxWithServer(t)
	src := mcp.Source{Servers: []mcp.Server{{Name: "t", Command: "./mcpserver", CallTimeout: 5 * time.Second}}}
	tools, closer, err := src.Tools(context.Background(), sb)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	start := time.Now()
	_, err = call(t, toolNamed(tools, "t__crash"), sb, `{}`)
	if err == nil {
		t.Fatal("a crashed server's call succeeded")
	}
	time.Sleep(100 * time.Millisecond)
	_, err = call(t, toolNamed(tools, "t__echo"), sb, `{"text":"x"}`)
	if err == nil || time.Since(start) > 8*time.Second {
		t.Fatalf("after the crash: %v (after %s)", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "MCP server t") {
		t.Errorf("the error does not name the server: %v", err)
	}
}

func TestServerThatFailsToStartIsReported(t *testing.T) {
	sb := sandboxWithServer(t)
	src := mcp.Source{Servers: []mcp.Server{
		{Name: "bad", Command: "echo not-an-mcp-server; exit 7", StartTimeout: 5 * time.Second},
		{Name: "t", Command: "./mcpserver"},
	}}
	tools, closer, err := src.Tools(context.Background(), sb)
	defer closer.Close()
	if err == nil || !strings.Contains(err.Error(), "mcp server bad did not start") {
		t.Fatalf("err = %v", err)
	}
	if len(tools) != 3 {
		t.Errorf("the good server's tools are lost: %d", len(tools))
	}
}

func TestHostServerOnlyWhenAskedFor(t *testing.T) {
	if err := (mcp.Server{Name: "x", Where: "somewhere", Command: "y"}).Validate(); err == nil {
		t.Error("an unknown place was accepted")
	}
	src := mcp.Source{Servers: []mcp.Server{{Name: "h", Where: mcp.OnHost, Command: serverBin}}}
	t.Setenv("LLM_API_KEY", "sk-host-secret-0123456789")
	tools, closer, err := src.Tools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	res, err := call(t, toolNamed(tools, "h__where"), nil, `{}`)
	if err != nil || !strings.Contains(res.Content, "key-visible=false") {
		t.Fatalf("host server: %+v %v", res, err)
	}
}

// TestSessionUsesMCPTools: through a whole session with a real model
// client, the server's tools are offered, called, observed and listed.
func TestSessionUsesMCPTools(t *testing.T) {
	sb := sandboxWithServer(t)
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("t__echo", map[string]string{"text": "from the model"})),
		llmtest.TextReply("done"),
	)
	model, err := llm.New(srv.Config("test-model"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []session.Event
	run, err := session.Start(context.Background(), session.Launch{Sandbox: sb, OnEvent: func(ev session.Event) { evs = append(evs, ev) }},
		session.Options{Model: model, ToolSources: []session.ToolSource{mcp.Source{Servers: []mcp.Server{{Name: "t", Command: "./mcpserver"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Session.Run(context.Background(), "use the echo tool")
	run.Close(context.Background())
	if err != nil || res.Status != session.StateFinished {
		t.Fatalf("run: %+v %v", res, err)
	}
	var listed, observed bool
	for _, ev := range evs {
		switch {
		case ev.Kind == session.KindTools && strings.Contains(strings.Join(ev.Tools.Sourced, ","), "t__echo"):
			listed = true
		case ev.Kind == session.KindObservation && ev.Observation.Content == "echo: from the model":
			observed = true
		}
	}
	reqs := srv.Requests()
	if !listed || !observed || len(reqs) != 2 || !strings.Contains(fmt.Sprint(reqs[0].Tools), "t__echo") {
		t.Errorf("listed %v observed %v requests %d", listed, observed, len(reqs))
	}
	if n := serverProcs(t); n != 0 {
		t.Errorf("%d server processes left after the session", n)
	}
}
