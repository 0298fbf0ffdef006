package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// Start is the lifecycle every tether front end uses: create the sandbox,
// spawn the session, forward its events, and on Close tear both down.
func ExampleStart() {
	tb := &exampleTB{}
	defer tb.done()
	model := scriptedModel(tb, llmtest.TextReply("Hello from the agent."))
	provider, cleanup := localProvider()
	defer cleanup()

	var said []string // OnEvent runs on the forwarding goroutine
	run, err := session.Start(context.Background(), session.Launch{
		Provider: provider,
		OnEvent: func(ev session.Event) {
			if ev.Kind == session.KindAssistantMessage {
				said = append(said, ev.Message.Text)
			}
		},
		OnTeardown: func(info sandbox.Info, err error) { fmt.Println("sandbox:", info.State, err) },
	}, session.Options{Model: model})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := run.Session.Run(context.Background(), "say hello")
	fmt.Println(res.Status, err)
	fmt.Println("close:", run.Close(context.Background())) // every event is forwarded once Close returns
	fmt.Println("assistant:", said)
	// Output:
	// finished <nil>
	// sandbox: destroying <nil>
	// sandbox: destroyed <nil>
	// close: <nil>
	// assistant: [Hello from the agent.]
}

// Step mode in a program: Approve answers every action before it runs. Here
// a destructive command is rejected with a reason the model sees, and the
// next one is edited.
func ExampleExecutorOptions_approve() {
	tb := &exampleTB{}
	defer tb.done()
	model := scriptedModel(tb,
		llmtest.ToolReply(llmtest.Call("terminal", map[string]string{"command": "rm -rf ~"})),
		llmtest.ToolReply(llmtest.Call("terminal", map[string]string{"command": "echo draft"})),
		llmtest.TextReply("Done."),
	)
	provider, cleanup := localProvider()
	defer cleanup()
	ex := session.NewExecutor(session.ExecutorOptions{
		Options:  session.Options{Model: model, StepMode: true},
		Provider: provider,
		Approve: func(_ context.Context, a session.Action) session.Decision {
			fmt.Println("asked:", a.Command)
			if strings.HasPrefix(a.Command, "rm ") {
				return session.Decision{Kind: session.DecideReject, Reason: "do not delete the home directory"}
			}
			return session.Decision{Kind: session.DecideEdit, Args: json.RawMessage(`{"command":"echo final"}`)}
		},
		OnEvent: func(ev session.Event) {
			if ev.Kind == session.KindObservation {
				fmt.Printf("observation: rejected=%v %q\n", ev.Observation.Rejected, strings.TrimSpace(firstLine(ev.Observation.Content)))
			}
		},
	})
	res, err := ex.Execute(context.Background(), "tidy up", session.WithTimeout(time.Minute))
	fmt.Println(res.Status, err)
	// Output:
	// asked: rm -rf ~
	// observation: rejected=true "The user rejected this action. Reason: do not delete the home directory"
	// asked: echo draft
	// observation: rejected=false "final"
	// finished <nil>
}

// Several listeners can follow one executor's runs.
func ExampleExecutor_Subscribe() {
	tb := &exampleTB{}
	defer tb.done()
	model := scriptedModel(tb, llmtest.TextReply("ok"))
	provider, cleanup := localProvider()
	defer cleanup()
	ex := session.NewExecutor(session.ExecutorOptions{Options: session.Options{Model: model}, Provider: provider})
	var states []string
	stop := ex.Subscribe(func(ev session.Event) {
		if ev.Kind == session.KindState {
			states = append(states, string(ev.State.To))
		}
	})
	defer stop()
	res, _ := ex.Execute(context.Background(), "anything", session.WithConversationID("conv-example"))
	fmt.Println(res.ConversationID, states)
	// Output:
	// conv-example [running finished]
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
