package ui

import (
	"slices"
	"testing"

	"charm.land/bubbles/v2/key"
)

// TestKeysComeFromTheKeyMap: input is routed through the keyMap (the one
// help shows), so rebinding a key there moves the action with it.
func TestKeysComeFromTheKeyMap(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	m.m.keys.Step = key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", "step mode"))
	m.m.keys.Pause = key.NewBinding(key.WithKeys("f5"), key.WithHelp("f5", "pause/resume"))
	press(m, "ctrl+t", "ctrl+p") // the old keys: nothing (ctrl+p/t are not text either)
	press(m, "ctrl+y", "f5")
	want := []string{"SetStepMode(true)", "Pause"}
	if got := eng.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
}
