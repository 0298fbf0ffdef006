package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// BenchmarkView is one frame of a busy screen at 160×48.
func BenchmarkView(b *testing.B) {
	eng := newFakeEngine()
	m := newTestModel(b, eng, 160, 48)
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkEventThroughput is Update over batches of output chunks, as they
// arrive from a chatty command, plus one frame per batch.
func BenchmarkEventThroughput(b *testing.B) {
	eng := newFakeEngine()
	m := newTestModel(b, eng, 160, 48)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	batch := make([]session.Event, maxBatch)
	for i := range batch {
		batch[i] = uitest.Output("c1", fmt.Sprintf("line %d of a long build log with some text\n", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		update(m, eventsMsg{events: batch})
		_ = m.View()
	}
	b.ReportMetric(float64(maxBatch), "events/op")
}

// BenchmarkKeystroke is typing one character into the prompt and drawing.
func BenchmarkKeystroke(b *testing.B) {
	eng := newFakeEngine()
	m := newTestModel(b, eng, 160, 48)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	k := tea.KeyPressMsg{Code: 'x', Text: "x"}
	bs := tea.KeyPressMsg{Code: tea.KeyBackspace}
	b.ReportAllocs()
	for b.Loop() {
		update(m, k)
		update(m, bs)
		_ = m.View()
	}
}

// BenchmarkReplayStepBack is one step back in a 5000-event recording: the
// stream is rebuilt from the first event.
func BenchmarkReplayStepBack(b *testing.B) {
	evs := recording()
	for len(evs) < 5000 {
		ev := uitest.Output("c1", fmt.Sprintf("output line %d\n", len(evs)))
		ev.Seq = int64(len(evs) + 1)
		ev.Time = evs[len(evs)-1].Time.Add(10 * time.Millisecond)
		evs = append(evs, ev)
	}
	m := NewReplay(evs, testOptions())
	b.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	m.m.replay.playing = false
	m.m.seek(len(evs))
	b.ReportAllocs()
	for b.Loop() {
		m.m.seek(len(evs) - 1)
		m.m.seek(len(evs))
	}
}
