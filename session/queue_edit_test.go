package session

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// sentPrompts are the user messages the model was sent, in order.
func sentPrompts(m *fakeModel) []string {
	var out []string
	seen := 0
	for _, r := range m.requests() {
		var users []string
		for _, msg := range r.Messages {
			if msg.Role == "user" {
				users = append(users, msg.Content)
			}
		}
		out = append(out, users[seen:]...)
		seen = len(users)
	}
	return out
}

func TestUnqueueTakesTheLastQueuedPromptBackBeforeItIsSent(t *testing.T) {
	m := &fakeModel{calling: make(chan int)}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	if err := s.Send("first"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"second", "third"} {
		if err := s.Send(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Queued(); !slices.Equal(got, []string{"second", "third"}) {
		t.Fatalf("Queued = %q", got)
	}
	if p, ok := s.Unqueue(); !ok || p != "third" {
		t.Fatalf("Unqueue = %q, %v; want the last queued prompt", p, ok)
	}
	if got := s.Queued(); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("Queued after Unqueue = %q", got)
	}
	<-m.calling // first
	<-m.calling // second
	if _, err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sentPrompts(m); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("sent %q: the prompt taken back went to the model", got)
	}
	if p, ok := s.Unqueue(); ok {
		t.Fatalf("Unqueue with nothing queued = %q", p)
	}
	c.finish(t, s)
}

// The run loop dequeuing and the user taking prompts back race: every
// queued prompt is either sent or handed back, exactly once.
func TestUnqueueRacingTheRunLoopNeverLosesOrDoublesAPrompt(t *testing.T) {
	const n = 40
	m := &fakeModel{calling: make(chan int)}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	if err := s.Send("p0"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if err := s.Send(fmt.Sprintf("p%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	idle := s.idle // one run serves the whole queue
	s.mu.Unlock()
	var wg sync.WaitGroup
	var back []string
	wg.Add(2)
	go func() { // the model answers as fast as it is called
		defer wg.Done()
		for {
			select {
			case <-m.calling:
			case <-idle:
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range n / 2 {
			if p, ok := s.Unqueue(); ok {
				back = append(back, p)
			}
		}
	}()
	wg.Wait()
	if _, err := s.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := sentPrompts(m)
	all := append(slices.Clone(sent), back...)
	slices.Sort(all)
	var want []string
	for i := 0; i <= n; i++ {
		want = append(want, fmt.Sprintf("p%d", i))
	}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Fatalf("sent %q + taken back %q != the %d prompts", sent, back, n+1)
	}
	c.finish(t, s)
}
