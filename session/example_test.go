package session_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// exampleTB lets examples, which have no *testing.T, start an llmtest
// server: llmtest.NewServer only needs Helper and Cleanup.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (e *exampleTB) Helper()          {}
func (e *exampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) done() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// scriptedModel starts a fake OpenAI-compatible server that plays the
// given replies and returns a real client for it. In real use the client
// is llm.New(llm.Config{BaseURL: ..., APIKey: ..., Model: ...}).
func scriptedModel(tb *exampleTB, replies ...llmtest.Reply) *llm.Client {
	srv := llmtest.NewServer(tb)
	srv.Enqueue(replies...)
	client, err := llm.New(srv.Config("example-model"))
	if err != nil {
		panic(err)
	}
	return client
}

func localProvider() (*local.Provider, func()) {
	dir, err := os.MkdirTemp("", "tether-example-")
	if err != nil {
		panic(err)
	}
	p, err := local.NewProvider(local.Options{BaseDir: dir, Isolation: local.IsolationNone})
	if err != nil {
		panic(err)
	}
	return p, func() { os.RemoveAll(dir) }
}

// QuickRun sends an agent into a fresh sandbox with one prompt and deletes
// the sandbox afterwards: a quick sandbox test.
func ExampleQuickRun() {
	tb := &exampleTB{}
	defer tb.done()
	model := scriptedModel(tb,
		llmtest.ToolReply(llmtest.Call("terminal", map[string]string{
			"command": `printf 'print("Hello World")\n' > hello.py && cat hello.py`,
		})),
		llmtest.ToolReply(llmtest.Call("finish", map[string]string{"message": "Created hello.py"})),
	)
	provider, cleanup := localProvider()
	defer cleanup()

	res, err := session.QuickRun(context.Background(), "Create a hello.py file that prints 'Hello World'",
		session.ExecutorOptions{
			Options:  session.Options{Model: model},
			Provider: provider,
			OnEvent: func(ev session.Event) {
				if ev.Kind == session.KindAction {
					fmt.Println("action:", ev.Action.Tool)
				}
			},
		})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("status:", res.Status)
	fmt.Println("final:", res.FinalMessage)
	// Output:
	// action: terminal
	// action: finish
	// status: finished
	// final: Created hello.py
}

// New starts a session on a sandbox the
// caller holds; the caller reads the events and may steer the run.
func ExampleNew() {
	tb := &exampleTB{}
	defer tb.done()
	model := scriptedModel(tb,
		llmtest.ToolReply(llmtest.Call("terminal", map[string]string{"command": "echo 6*7 | bc 2>/dev/null || echo 42"})),
		llmtest.TextReply("The answer is 42."),
	)
	provider, cleanup := localProvider()
	defer cleanup()
	sb, err := provider.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sb.Close(context.Background())

	s, err := session.New(session.Options{Sandbox: sb, Model: model, ModelName: "example-model"})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range s.Events() {
			switch ev.Kind {
			case session.KindAction:
				fmt.Println("$", ev.Action.Command)
			case session.KindObservation:
				fmt.Printf("exit %d\n", *ev.Observation.ExitCode)
			case session.KindState:
				fmt.Println("state:", ev.State.To)
			}
		}
	}()
	res, err := s.Run(context.Background(), "What is 6 times 7?")
	s.Close()
	<-done
	fmt.Println(res.Status, "-", res.FinalMessage, err)
	// Output:
	// state: running
	// $ echo 6*7 | bc 2>/dev/null || echo 42
	// exit 0
	// state: finished
	// finished - The answer is 42. <nil>
}

// An Executor reuses its options for several prompts, each in a fresh
// sandbox.
func ExampleExecutor_Execute() {
	tb := &exampleTB{}
	defer tb.done()
	model := scriptedModel(tb,
		llmtest.TextReply("Nothing to do."),
		llmtest.ToolReply(llmtest.Call("finish", map[string]string{"message": "Done twice."})),
	)
	provider, cleanup := localProvider()
	defer cleanup()
	ex := session.NewExecutor(session.ExecutorOptions{Options: session.Options{Model: model, MaxIterations: 10}, Provider: provider})
	for _, prompt := range []string{"first task", "second task"} {
		res, err := ex.Execute(context.Background(), prompt)
		fmt.Println(res.Status, res.FinalMessage, err)
	}
	// Output:
	// finished Nothing to do. <nil>
	// finished Done twice. <nil>
}
