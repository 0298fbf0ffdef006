package fleet

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/transcript"
	"github.com/tether-dev/tether/ui"
)

// twoBranches is what Compare returns for the goldens: a parent and its
// fork on another model, with their workspaces differing.
func twoBranches() transcript.Comparison {
	return transcript.Comparison{
		A: transcript.Summary{Path: "sessions/parent.jsonl", Model: "gpt-4.1", Status: "finished", Steps: 4,
			PromptTokens: 5120, CompletionTokens: 311, CostUSD: 0.0123, CostKnown: true, Duration: 42 * time.Second,
			FinalMessage: "Added tests for the parser; all pass."},
		B: transcript.Summary{Path: "sessions/branch.jsonl", Model: "qwen3-coder", Parent: "sessions/parent.jsonl", ForkAt: 12,
			Status: "error", Steps: 7, PromptTokens: 9001, CompletionTokens: 640, Duration: 71 * time.Second,
			FinalMessage: "The build fails: undefined: parseExpr"},
		Files: transcript.FileDiff{Known: true, Changed: []string{"parser.go"}, OnlyB: []string{"parser_test.go"}, Same: 12,
			Diff: "--- a/parser.go\n+++ b/parser.go\n@@ -1,3 +1,3 @@\n package parser\n-func Parse() {}\n+func parse() {}\n"},
	}
}

func compareOptions(calls *[][2]ui.Engine, mu *sync.Mutex) Options {
	o := goldenOptions()
	o.Compare = func(a, b ui.Engine) (transcript.Comparison, error) {
		mu.Lock()
		*calls = append(*calls, [2]ui.Engine{a, b})
		mu.Unlock()
		return twoBranches(), nil
	}
	return o
}

func TestGoldenFleetCompare(t *testing.T) {
	var mu sync.Mutex
	var calls [][2]ui.Engine
	runGoldenWith(t, compareOptions(&calls, &mu), func(tm *teatest.TestModel, _ []*fakeEngine) {
		press(tm, "ctrl+l", "j", "c")
	}, func(f *fleet) bool { return f.compare != nil })
}

func TestCompareInTheListShowsTheSelectedBesideItsNeighbourAndCloses(t *testing.T) {
	var mu sync.Mutex
	var calls [][2]ui.Engine
	engs := []*fakeEngine{newFakeEngine("one", 64), newFakeEngine("two", 64)}
	tm := startFleet(t, engs, compareOptions(&calls, &mu), 160, 48)
	waitScreen(t, tm, "sessions 1/2")
	press(tm, "ctrl+l", "j", "c")
	scr := waitScreen(t, tm, "compare #1 ↔ #2")
	for _, want := range []string{"qwen3-coder", "$0.0123", "unknown", "1 changed, 0 only in A, 1 only in B, 12 the same", "+func parse() {}", "sessions/parent.jsonl at event 12"} {
		if !strings.Contains(scr, want) {
			t.Errorf("comparison lacks %q:\n%s", want, scr)
		}
	}
	mu.Lock()
	if len(calls) != 1 || calls[0][0] != ui.Engine(engs[0]) || calls[0][1] != ui.Engine(engs[1]) {
		t.Errorf("Compare called with %v, want (one, two)", calls)
	}
	mu.Unlock()
	press(tm, "esc")
	waitFor(t, tm, "esc closes the comparison", func(f *fleet) bool { return f.compare == nil })
	_ = tm.Quit()
}
