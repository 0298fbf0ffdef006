package app

import (
	"context"
	"slices"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

func TestEngineListsModelsInUseFirstAndSwitchesTheNextCall(t *testing.T) {
	p, _ := localProvider(t)
	srv := llmtest.NewServer(t, llmtest.WithAPIKey(fakeKey), llmtest.WithModelList("other-model", "fake-model", "third"))
	model, err := llm.New(srv.Config("fake-model"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Enqueue(llmtest.TextReply("one"), llmtest.TextReply("two"))
	e := StartEngine(EngineOptions{Provider: p, Registry: sandbox.NewRegistry(), Session: session.Options{Model: model, ModelName: "fake-model"}})
	defer e.Shutdown(context.Background())
	ids, err := e.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"fake-model", "other-model", "third"}) {
		t.Fatalf("Models = %v", ids)
	}
	if err := e.Send("first"); err != nil {
		t.Fatal(err)
	}
	collect(t, e, func(ev session.Event) bool {
		return ev.Kind == session.KindState && ev.State.To == session.StateFinished
	})
	if err := e.SetModel("other-model"); err != nil {
		t.Fatal(err)
	}
	if err := e.Send("second"); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, e, func(ev session.Event) bool {
		return ev.Kind == session.KindState && ev.State.To == session.StateFinished
	})
	switched := false
	for _, ev := range evs {
		if ev.Kind == session.KindModel && ev.ModelChange.From == "fake-model" && ev.ModelChange.To == "other-model" {
			switched = true
		}
	}
	if !switched {
		t.Fatal("no model event for the switch")
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Model != "fake-model" || reqs[1].Model != "other-model" {
		t.Fatalf("requests went to %v", func() (m []string) {
			for _, r := range reqs {
				m = append(m, r.Model)
			}
			return
		}())
	}
	if got := e.ModelName(); got != "other-model" {
		t.Fatalf("ModelName = %q", got)
	}
}
