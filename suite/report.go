package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
	"github.com/tether-dev/tether/session"
)

// Report is what a suite run produced: one result per case, in Cases()
// order, and totals.
type Report struct {
	Suite       string        `json:"suite"`
	File        string        `json:"file"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Concurrency int           `json:"concurrency"`
	RecordDir   string        `json:"record_dir,omitempty"`
	Interrupted bool          `json:"interrupted,omitempty"` // the run was cancelled before every case ended
	Cases       []CaseResult  `json:"cases"`
	Totals      Totals        `json:"totals"`
}

// CaseResult is how one case ended.
type CaseResult struct {
	ID      string `json:"id"`
	Case    string `json:"case"`
	Variant string `json:"variant,omitempty"`
	Model   string `json:"model,omitempty"`
	Run     int    `json:"run"`

	Status CaseState `json:"status"`           // passed, failed, error or cancelled
	Reason string    `json:"reason,omitempty"` // why it did not pass

	AgentStatus  session.State `json:"agent_status,omitempty"`
	AgentReason  string        `json:"agent_reason,omitempty"`
	FinalMessage string        `json:"final_message,omitempty"`
	Checks       []CheckResult `json:"checks,omitempty"`

	Steps            int     `json:"steps"`
	LLMCalls         int     `json:"llm_calls"`
	CostUSD          float64 `json:"cost_usd"`
	CostKnown        bool    `json:"cost_known"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`

	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration_ns"`

	SandboxID      string `json:"sandbox_id,omitempty"`
	Kept           bool   `json:"kept,omitempty"` // the sandbox was kept for inspection
	ConversationID string `json:"conversation_id,omitempty"`
	RecordPath     string `json:"record_path,omitempty"`  // open with `tether replay`
	RecordError    string `json:"record_error,omitempty"` // why the case is not (fully) recorded: a full disk
}

// CheckResult is one check's outcome.
type CheckResult struct {
	Name     string        `json:"name"`
	Kind     string        `json:"kind"`
	Passed   bool          `json:"passed"`
	Message  string        `json:"message,omitempty"` // why it failed, or what it saw; sanitised
	Duration time.Duration `json:"duration_ns"`
}

// Totals sum a run up.
type Totals struct {
	Group
	Errors      int     `json:"errors"`
	Failed      int     `json:"failed"`
	Cancelled   int     `json:"cancelled"`
	ByModel     []Group `json:"by_model,omitempty"`
	ByCase      []Group `json:"by_case,omitempty"` // per case/variant, over models and runs
	TotalTokens int     `json:"total_tokens"`
}

// Group sums a set of cases: all of them, one model's, one case's.
type Group struct {
	Name             string        `json:"name,omitempty"`
	Cases            int           `json:"cases"`
	Passed           int           `json:"passed"`
	PassRate         float64       `json:"pass_rate"` // Passed / Cases, 0..1
	CostUSD          float64       `json:"cost_usd"`
	CostKnown        bool          `json:"cost_known"` // false: some case's cost is unknown, CostUSD is a lower bound
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	DurationP50      time.Duration `json:"duration_p50_ns"`
	DurationP90      time.Duration `json:"duration_p90_ns"`
	DurationMax      time.Duration `json:"duration_max_ns"`
}

// Failed reports whether any case did not pass (a check failed, it could
// not run, or it was cancelled): the command's exit code is non-zero then.
func (r *Report) Failed() bool {
	for _, c := range r.Cases {
		if c.Status != StatePassed {
			return true
		}
	}
	return r.Interrupted
}

// WriteJSON writes the report as indented JSON (ReadJSON reads it back).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(jsonsafe.Writer(w)) // `--json -` may be a terminal: no raw C1
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("read JSON report: %w (is it a `tether suite run --json` report?)", err)
	}
	return &r, nil
}

// summarize computes the totals from the case results.
func (r *Report) summarize() {
	t := Totals{Group: group("", r.Cases)}
	var models, names []string
	byModel := map[string][]CaseResult{}
	byCase := map[string][]CaseResult{}
	for _, c := range r.Cases {
		switch c.Status {
		case StateFailed:
			t.Failed++
		case StateError:
			t.Errors++
		case StateCancelled:
			t.Cancelled++
		}
		if _, ok := byModel[c.Model]; !ok {
			models = append(models, c.Model)
		}
		byModel[c.Model] = append(byModel[c.Model], c)
		key := c.Case
		if c.Variant != "" {
			key += "/" + c.Variant
		}
		if _, ok := byCase[key]; !ok {
			names = append(names, key)
		}
		byCase[key] = append(byCase[key], c)
	}
	for _, m := range models {
		name := m
		if name == "" {
			name = "(default)"
		}
		t.ByModel = append(t.ByModel, group(name, byModel[m]))
	}
	for _, n := range names {
		t.ByCase = append(t.ByCase, group(n, byCase[n]))
	}
	t.TotalTokens = t.PromptTokens + t.CompletionTokens
	r.Totals = t
}

func group(name string, cases []CaseResult) Group {
	g := Group{Name: name, Cases: len(cases), CostKnown: true}
	durs := make([]time.Duration, 0, len(cases))
	for _, c := range cases {
		if c.Status == StatePassed {
			g.Passed++
		}
		g.CostUSD += c.CostUSD
		if !c.CostKnown && c.LLMCalls > 0 {
			g.CostKnown = false
		}
		g.PromptTokens += c.PromptTokens
		g.CompletionTokens += c.CompletionTokens
		if c.Status != StateCancelled {
			durs = append(durs, c.Duration)
		}
	}
	if g.Cases > 0 {
		g.PassRate = float64(g.Passed) / float64(g.Cases)
	}
	g.DurationP50, g.DurationP90, g.DurationMax = percentiles(durs)
	return g
}

// percentiles returns p50, p90 and max by the nearest-rank method.
func percentiles(d []time.Duration) (p50, p90, top time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p int) time.Duration {
		i := (p*len(s)+99)/100 - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return rank(50), rank(90), s[len(s)-1]
}
