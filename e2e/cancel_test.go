package e2e

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// cancelBound is deliberately generous: the test guards against a cancel
// that waits for a command, a stream or a timeout, not against slowness.
const cancelBound = 2 * time.Second

// TestE2ECancelLatency cancels a session in each state it can be in while
// a run is active and measures Cancel → the "cancelled" state event, in
// process, with a real sandbox and the fake model.
func TestE2ECancelLatency(t *testing.T) {
	var mu sync.Mutex
	var worst time.Duration
	for _, prov := range providers {
		for _, st := range []string{"streaming", "command", "approval", "paused"} {
			t.Run(prov+"/"+st, func(t *testing.T) {
				t.Parallel()
				d := cancelIn(t, prov, st)
				mu.Lock()
				worst = max(worst, d)
				mu.Unlock()
			})
		}
	}
	t.Cleanup(func() { t.Logf("max cancel latency: %s", worst) })
}

func cancelIn(t *testing.T, prov, state string) time.Duration {
	ctx := ctxT(t, 60*time.Second)
	var p sandbox.Provider
	var fake *daytonatest.Server
	base := t.TempDir()
	var err error
	if prov == "local" {
		p, err = local.NewProvider(local.Options{BaseDir: base})
	} else {
		env := realdaemon.New(t)
		fake = env.Server
		p, err = env.NewProvider(daytona.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.NewServer(t)
	model, err := llm.New(srv.Config("fake-model"))
	if err != nil {
		t.Fatal(err)
	}
	marker := fmt.Sprintf("300.%05d", rand.IntN(100000))
	t.Cleanup(func() { killMarked(marker) })
	sleep := llmtest.Call("terminal", map[string]any{"command": "sleep " + marker, "timeout": 600})
	switch state {
	case "streaming":
		srv.Enqueue(llmtest.Reply{Text: "a slow reply that goes on and on and on", ChunkDelay: 200 * time.Millisecond})
	case "command", "approval":
		srv.Enqueue(llmtest.ToolReply(sleep))
	case "paused":
		srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{sleep}, ChunkDelay: 50 * time.Millisecond})
	}
	sess, err := session.New(session.Options{Sandbox: sb, Model: model, StepMode: state == "approval"})
	if err != nil {
		t.Fatal(err)
	}

	// Watch the events for the state to reach and for the cancel.
	reached := make(chan struct{})
	cancelled := make(chan time.Time, 1)
	var once sync.Once
	go func() {
		for ev := range sess.Events() {
			switch {
			case state == "streaming" && ev.Kind == session.KindAssistantDelta,
				state == "approval" && ev.Kind == session.KindState && ev.State.To == session.StateWaiting,
				state == "paused" && ev.Kind == session.KindState && ev.State.To == session.StatePaused:
				once.Do(func() { close(reached) })
			case ev.Kind == session.KindState && ev.State.To == session.StateCancelled:
				cancelled <- time.Now()
			}
		}
	}()
	if err := sess.Send("go"); err != nil {
		t.Fatal(err)
	}
	if state == "paused" {
		sess.Pause() // taken at the boundary after the model's reply
	}
	if state == "command" {
		go func() {
			for len(markedProcs(marker)) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			once.Do(func() { close(reached) })
		}()
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("the session never reached %s (state %s)", state, sess.State())
	}
	time.Sleep(50 * time.Millisecond) // settle into the state
	start := time.Now()
	sess.Cancel()
	var d time.Duration
	select {
	case at := <-cancelled:
		d = at.Sub(start)
	case <-time.After(30 * time.Second):
		t.Fatalf("no cancelled state 30 s after Cancel in %s (state %s)", state, sess.State())
	}
	if d > cancelBound {
		t.Errorf("cancel while %s took %s, want under %s", state, d, cancelBound)
	}
	if err := sess.Close(); err != nil {
		t.Errorf("closing the session: %v", err)
	}
	if err := sb.Close(ctx); err != nil {
		t.Errorf("closing the sandbox: %v", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(markedProcs(marker)) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	procs := len(markedProcs(marker))
	if procs != 0 {
		t.Errorf("%d sandbox process(es) outlived the cancel and close", procs)
	}
	sbs := 0
	if fake != nil {
		sbs = len(fake.Live())
	} else if ents, _ := readDirNames(base); len(ents) != 0 {
		sbs = len(ents)
	}
	if sbs != 0 {
		t.Errorf("%d sandbox(es) left", sbs)
	}
	t.Logf("cancel while %s (%s): %s", state, prov, d)
	reportResult(t, "cancel/"+prov+"/"+state, sbs, procs, d)
	return d
}
