package session

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// collector reads a session's events until the channel closes.
type collector struct {
	mu   sync.Mutex
	evs  []Event
	done chan struct{}
	seen chan struct{} // pinged on every event
}

func collect(s *Session) *collector {
	c := &collector{done: make(chan struct{}), seen: make(chan struct{}, 1)}
	events := s.Events()
	go func() {
		defer close(c.done)
		for ev := range events {
			c.mu.Lock()
			c.evs = append(c.evs, ev)
			c.mu.Unlock()
			select {
			case c.seen <- struct{}{}:
			default:
			}
		}
	}()
	return c
}

func (c *collector) events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.evs)
}

// waitFor waits until an event matching ok has been collected.
func (c *collector) waitFor(t testing.TB, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, ev := range c.events() {
			if ok(ev) {
				return ev
			}
		}
		select {
		case <-c.seen:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; got %s", what, kinds(c.events()))
		case <-c.done:
			for _, ev := range c.events() {
				if ok(ev) {
					return ev
				}
			}
			t.Fatalf("events closed before %s; got %s", what, kinds(c.events()))
		}
	}
}

func (c *collector) finish(t testing.TB, s *Session) []Event {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("events channel not closed after Close")
	}
	return c.events()
}

func isState(to State) func(Event) bool {
	return func(ev Event) bool { return ev.Kind == KindState && ev.State.To == to }
}

func kinds(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString(string(ev.Kind))
		if ev.Kind == KindState {
			b.WriteString("(" + string(ev.State.To) + ")")
		}
		b.WriteString(" ")
	}
	return b.String()
}

// checkConversation fails if the messages would be rejected by an
// OpenAI-style API: each assistant tool call answered, in order, by a
// tool message before anything else; no stray tool messages.
func checkConversation(t testing.TB, msgs []llm.Message) {
	t.Helper()
	if len(msgs) == 0 || msgs[0].Role != llm.RoleSystem {
		t.Fatalf("conversation must start with a system message: %+v", msgs)
	}
	var open []string
	for i, m := range msgs {
		switch m.Role {
		case llm.RoleTool:
			if len(open) == 0 || !slices.Contains(open, m.ToolCallID) {
				t.Fatalf("message %d: tool result %q answers no open call (open %v)", i, m.ToolCallID, open)
			}
			open = slices.DeleteFunc(open, func(id string) bool { return id == m.ToolCallID })
		default:
			if len(open) > 0 {
				t.Fatalf("message %d (%s): calls %v have no tool result", i, m.Role, open)
			}
			for _, c := range m.ToolCalls {
				open = append(open, c.ID)
			}
		}
	}
	if len(open) > 0 {
		t.Fatalf("conversation ends with unanswered calls %v", open)
	}
}
