package ctxwait

import (
	"context"
	"testing"
	"time"
)

func TestSleepElapses(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Fatal("Sleep on a live context reported it was cut short")
	}
	if !Sleep(context.Background(), 0) {
		t.Fatal("Sleep(0) on a live context reported it was cut short")
	}
}

func TestSleepStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep on a cancelled context reported a full wait")
	}
	if Sleep(ctx, 0) {
		t.Fatal("Sleep(0) on a cancelled context reported a full wait")
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	done := make(chan bool)
	go func() { done <- Sleep(ctx, time.Hour) }()
	select {
	case full := <-done:
		if full {
			t.Fatal("Sleep reported a full wait after its context was cancelled")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Sleep did not return after its context was cancelled")
	}
}
