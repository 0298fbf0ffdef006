package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

const fakeKey = "sk-TETHER-TEST-KEY-0123456789abcdef"

func localProvider(t *testing.T) (*local.Provider, string) {
	t.Helper()
	dir := t.TempDir()
	p, err := local.NewProvider(local.Options{BaseDir: dir, Isolation: "none"})
	if err != nil {
		t.Fatal(err)
	}
	return p, dir
}

func fakeModel(t *testing.T) (*llmtest.Server, *llm.Client) {
	t.Helper()
	srv := llmtest.NewServer(t, llmtest.WithAPIKey(fakeKey))
	c, err := llm.New(srv.Config("fake-model"))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func liveSandboxes(t *testing.T, p sandbox.Provider) int {
	t.Helper()
	infos, err := p.List(context.Background(), map[string]string{sandbox.LabelCreatedBy: sandbox.CreatedByTether})
	if err != nil {
		t.Fatal(err)
	}
	return len(infos)
}

func TestRunHeadlessEndToEnd(t *testing.T) {
	p, _ := localProvider(t)
	srv, model := fakeModel(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo made > out.txt && cat out.txt && printf '\\033]52;c;aGk=\\007'"})),
		llmtest.ToolReply(llmtest.Call("finish", map[string]any{"message": "all done"})),
	)
	record := filepath.Join(t.TempDir(), "run.jsonl")
	var events, progress bytes.Buffer
	reg := sandbox.NewRegistry()
	res, err := RunHeadless(context.Background(), HeadlessOptions{
		Prompt:   "make a file",
		Provider: p,
		Registry: reg,
		Session:  session.Options{Model: model, ModelName: "fake-model", RecordPath: record, Secrets: []string{fakeKey}},
		Timeout:  time.Minute,
		Events:   &events,
		Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != session.StateFinished || res.FinalMessage != "all done" || res.SandboxID == "" {
		t.Fatalf("result = %+v", res)
	}
	if n := liveSandboxes(t, p); n != 0 {
		t.Errorf("%d sandboxes left after the run", n)
	}
	if reg.Len() != 0 {
		t.Errorf("registry still tracks %d sandboxes", reg.Len())
	}
	// Every event line is valid JSON, in sequence.
	lines := strings.Split(strings.TrimSpace(events.String()), "\n")
	if int64(len(lines)) < res.EventCount-1 {
		t.Errorf("%d event lines for %d events", len(lines), res.EventCount)
	}
	for _, l := range lines {
		var ev session.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("bad event line %q: %v", l, err)
		}
	}
	out := progress.String()
	if !strings.Contains(out, "$ echo made") || !strings.Contains(out, "made") {
		t.Errorf("progress lacks the command and its output:\n%s", out)
	}
	if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) {
		t.Errorf("progress passes raw control bytes from the sandbox:\n%q", out)
	}
	for name, s := range map[string]string{"events": events.String(), "progress": out, "recording": readFile(t, record)} {
		if strings.Contains(s, fakeKey) {
			t.Errorf("%s contains the API key", name)
		}
	}
	// The model saw the key? It must: in the header only, never in bodies.
	if got := srv.Requests()[0].APIKey; got != fakeKey {
		t.Errorf("the server did not receive the key")
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunHeadlessCancelledDeletesSandbox(t *testing.T) {
	p, _ := localProvider(t)
	srv, model := fakeModel(t)
	srv.Enqueue(llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "sleep 300"})))
	ctx, cancel := context.WithCancel(context.Background())
	var progress bytes.Buffer
	started := make(chan struct{})
	go func() {
		for !strings.Contains(progressString(&progress), "$ sleep 300") {
			time.Sleep(10 * time.Millisecond)
		}
		close(started)
		cancel()
	}()
	done := make(chan HeadlessResult, 1)
	go func() {
		res, _ := RunHeadless(ctx, HeadlessOptions{
			Prompt: "wait", Provider: p, Session: session.Options{Model: model},
			Progress: lockedWriter{&progress},
		})
		done <- res
	}()
	select {
	case res := <-done:
		<-started
		if res.Status != session.StateCancelled {
			t.Errorf("status = %s, want cancelled", res.Status)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cancel did not end the run")
	}
	if n := liveSandboxes(t, p); n != 0 {
		t.Errorf("%d sandboxes left after cancel", n)
	}
}

var progressMu = make(chan struct{}, 1)

type lockedWriter struct{ b *bytes.Buffer }

func (w lockedWriter) Write(p []byte) (int, error) {
	progressMu <- struct{}{}
	defer func() { <-progressMu }()
	return w.b.Write(p)
}

func progressString(b *bytes.Buffer) string {
	progressMu <- struct{}{}
	defer func() { <-progressMu }()
	return b.String()
}

func collect(t *testing.T, e *Engine, until func(session.Event) bool) []session.Event {
	t.Helper()
	var got []session.Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-e.Events():
			if !ok {
				return got
			}
			got = append(got, ev)
			if until != nil && until(ev) {
				return got
			}
		case <-timeout:
			t.Fatalf("timed out; got %d events", len(got))
		}
	}
}

func TestEngineQueuesUntilReadyAndShutsDownClean(t *testing.T) {
	p, _ := localProvider(t)
	srv, model := fakeModel(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo hi"})),
		llmtest.TextReply("done"),
	)
	reg := sandbox.NewRegistry()
	e := StartEngine(EngineOptions{Provider: p, Registry: reg, Session: session.Options{Model: model, ModelName: "fake-model"}})
	// Sent before the sandbox exists: queued, then run.
	if err := e.Send("say hi"); err != nil {
		t.Fatal(err)
	}
	if err := e.Shell("echo direct"); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, e, func(ev session.Event) bool {
		return ev.Kind == session.KindState && ev.State.To == session.StateFinished
	})
	var sawCreating, sawDirect bool
	for _, ev := range evs {
		if ev.Kind == session.KindSandbox && ev.Sandbox.State == sandbox.StateCreating {
			sawCreating = true
		}
		if ev.Kind == session.KindAction && ev.Action.Direct {
			sawDirect = true
		}
	}
	if !sawCreating || !sawDirect {
		t.Errorf("creating shown: %v, direct command run: %v", sawCreating, sawDirect)
	}
	if reg.Len() != 1 {
		t.Fatalf("registry tracks %d sandboxes, want 1", reg.Len())
	}
	done := make(chan error, 1)
	go func() { done <- e.Shutdown(context.Background()) }()
	rest := collect(t, e, nil) // until closed
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	last := rest[len(rest)-1]
	if last.Kind != session.KindSandbox || last.Sandbox.State != sandbox.StateDeleted {
		t.Errorf("the last event should show the sandbox deleted, got %+v", last)
	}
	if n := liveSandboxes(t, p); n != 0 || reg.Len() != 0 {
		t.Errorf("left: %d sandboxes, %d tracked", n, reg.Len())
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestEngineShutdownWithoutReaderDoesNotHang(t *testing.T) {
	p, _ := localProvider(t)
	e := StartEngine(EngineOptions{Provider: p, NoModelHint: "set LLM_MODEL"})
	for i := 0; i < 50; i++ { // more output than the channel holds, nobody reading
		_ = e.Shell("seq 1 100")
	}
	time.Sleep(50 * time.Millisecond)
	e.Detach()
	done := make(chan error, 1)
	go func() { done <- e.Shutdown(context.Background()) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown hung with no reader")
	}
	if n := liveSandboxes(t, p); n != 0 {
		t.Errorf("%d sandboxes left", n)
	}
}

func TestEngineWithoutModelSaysHowToConfigure(t *testing.T) {
	p, _ := localProvider(t)
	e := StartEngine(EngineOptions{Provider: p, NoModelHint: "set LLM_MODEL"})
	defer func() { e.Detach(); _ = e.Shutdown(context.Background()) }()
	err := e.Send("hello")
	if !errors.Is(err, session.ErrNoModel) || !strings.Contains(err.Error(), "LLM_MODEL") {
		t.Errorf("err = %v", err)
	}
	if info := e.Info(); info.HasModel || info.Provider != "local" {
		t.Errorf("info = %+v", info)
	}
}

func TestEngineCreateFailureIsReported(t *testing.T) {
	e := StartEngine(EngineOptions{Provider: failingProvider{}})
	evs := collect(t, e, func(ev session.Event) bool { return ev.Kind == session.KindError })
	last := evs[len(evs)-1]
	if !last.Error.Fatal || !strings.Contains(last.Error.Message, "no capacity") {
		t.Errorf("error event = %+v", last.Error)
	}
	// Nothing would ever run a call queued now: it must be refused.
	<-e.created
	if err := e.Shell("ls"); err == nil || !strings.Contains(err.Error(), "no sandbox") {
		t.Errorf("Shell after a failed create: err = %v", err)
	}
	go func() { _ = e.Shutdown(context.Background()) }()
	collect(t, e, nil)
}

type failingProvider struct{}

func (failingProvider) Name() string { return "broken" }
func (failingProvider) Create(context.Context, sandbox.Spec) (sandbox.Sandbox, error) {
	return nil, errors.New("no capacity")
}
func (failingProvider) List(context.Context, map[string]string) ([]sandbox.Info, error) {
	return nil, nil
}
func (failingProvider) Delete(context.Context, string) error { return nil }

func TestOpenLogRedactsSecrets(t *testing.T) {
	cfg := config.Default()
	cfg.Log.File = filepath.Join(t.TempDir(), "tether.log")
	cfg.LLM.APIKey = fakeKey
	log, closer, err := OpenLog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log.Error("request failed: "+fakeKey, "err", errors.New("bad key "+fakeKey), "url", "https://x/?k="+fakeKey)
	log.With("k", fakeKey).WithGroup("g").Info("x", "v", fakeKey)
	closer.Close()
	got := readFile(t, cfg.Log.File)
	if strings.Contains(got, fakeKey) {
		t.Errorf("log contains the key:\n%s", got)
	}
	if strings.Count(got, "[REDACTED]") < 5 {
		t.Errorf("expected the key replaced everywhere:\n%s", got)
	}
}

// slowFailingProvider fails Create once release is closed.
type slowFailingProvider struct {
	failingProvider
	release chan struct{}
}

func (p slowFailingProvider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	<-p.release
	return nil, errors.New("no capacity")
}

func TestEngineSaysQueuedWorkWillNotRun(t *testing.T) {
	p := slowFailingProvider{release: make(chan struct{})}
	e := StartEngine(EngineOptions{Provider: p})
	if err := e.Shell("echo typed early"); err != nil {
		t.Fatal(err) // queued: the sandbox is still being made
	}
	close(p.release)
	evs := collect(t, e, func(ev session.Event) bool {
		return ev.Kind == session.KindError && strings.Contains(ev.Error.Message, "were not run")
	})
	if last := evs[len(evs)-1]; last.Error.Fatal {
		t.Errorf("the notice is not a fatal error: %+v", last.Error)
	}
	if err := e.Shell("echo later"); err == nil {
		t.Error("after a failed start, a command must be refused, not queued")
	}
	go func() { _ = e.Shutdown(context.Background()) }()
	collect(t, e, nil)
}
