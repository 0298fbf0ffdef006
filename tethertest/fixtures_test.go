package tethertest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/tethertest"
)

// The shared sandbox lives on a fake Daytona control plane whose sandboxes
// run on the real toolbox daemon, made in TestMain, where no testing.TB
// exists: both are usable from there. Where the daemon cannot run, the
// shared sandbox is a local one.
var (
	fakeDaytona *daytonatest.Server // nil without the real daemon
	shared      *tethertest.Shared
)

func TestMain(m *testing.M) {
	var p sandbox.Provider
	env, err := realdaemon.Start()
	switch {
	case errors.Is(err, realdaemon.ErrUnavailable):
		fmt.Fprintln(os.Stderr, "tethertest: the shared sandbox is local:", err)
		if p, err = local.NewProvider(local.Options{BaseDir: os.TempDir()}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	default:
		fakeDaytona = env.Server
		if p, err = env.NewProvider(daytona.Options{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	shared = tethertest.NewShared(context.Background(), tethertest.WithProvider(p))
	code := m.Run()
	if err := shared.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "closing the shared sandbox:", err)
		code = 1
	}
	if env != nil {
		if live := fakeDaytona.Live(); len(live) != 0 {
			fmt.Fprintln(os.Stderr, "sandboxes left on the fake Daytona:", live)
			code = 1
		}
		if err := env.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func localProvider(t *testing.T) sandbox.Provider {
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSandboxIsDeletedWhenTheTestEnds(t *testing.T) {
	p := localProvider(t)
	var dir string
	t.Run("uses it", func(t *testing.T) {
		sb := tethertest.Sandbox(t, tethertest.WithProvider(p))
		dir = sb.WorkDir()
		res, err := sandbox.Run(context.Background(), sb, "echo hello; echo oops >&2; exit 3")
		if err != nil || res.Stdout != "hello\n" || res.Stderr != "oops\n" || res.ExitCode != 3 {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		info, _ := sb.Info(context.Background())
		if info.Labels[tethertest.LabelTest] != "true" {
			t.Errorf("labels %v", info.Labels)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the sandbox's workspace %s outlived its test: %v", dir, err)
	}
}

func TestDaytonaWithoutKeySkips(t *testing.T) {
	t.Setenv("TETHER_PROVIDER", "daytona")
	t.Setenv("DAYTONA_API_KEY", "")
	var inner *testing.T
	t.Run("wants daytona", func(t *testing.T) {
		inner = t
		tethertest.Sandbox(t)
		t.Error("Sandbox returned without a key")
	})
	if !inner.Skipped() {
		t.Error("the test was not skipped")
	}
}

func TestSharedSandboxServesEveryTest(t *testing.T) {
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			sb := shared.Sandbox(t)
			if err := sb.WriteFile(context.Background(), name+"/f.txt", []byte(name)); err != nil {
				t.Fatal(err)
			}
		})
	}
	sb := shared.Sandbox(t)
	res, err := sandbox.Run(context.Background(), sb, "cat a/f.txt b/f.txt")
	if err != nil || res.Stdout != "ab" {
		t.Fatalf("both tests wrote to one sandbox: %+v, %v", res, err)
	}
	if fakeDaytona == nil {
		return
	}
	if n := len(fakeDaytona.Live()); n != 1 {
		t.Errorf("live sandboxes %d, want the one shared", n)
	}
}

func TestExecutorRunsPromptsOnTheTestSandbox(t *testing.T) {
	sb := tethertest.Sandbox(t, tethertest.WithProvider(localProvider(t)))
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]string{"command": "echo hi > hello.txt"})),
		llmtest.ToolReply(llmtest.Call("finish", map[string]string{"message": "done"})),
	)
	model, err := llm.New(srv.Config("test-model"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tethertest.Executor(sb, model).Execute(context.Background(), "write hello.txt")
	if err != nil || res.Status != session.StateFinished {
		t.Fatalf("res %+v err %v", res, err)
	}
	if data, err := sb.ReadFile(context.Background(), "hello.txt"); err != nil || strings.TrimSpace(string(data)) != "hi" {
		t.Errorf("hello.txt = %q, %v", data, err)
	}
}
