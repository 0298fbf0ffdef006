package transcript

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tether-dev/tether/session"
)

// Summary is what one recorded session came to.
type Summary struct {
	Path             string        `json:"path"`
	ConversationID   string        `json:"conversation_id,omitempty"`
	Model            string        `json:"model,omitempty"`
	Parent           string        `json:"parent,omitempty"`
	ForkAt           int64         `json:"fork_at,omitempty"`
	Status           string        `json:"status"`
	Prompt           string        `json:"prompt,omitempty"`
	Steps            int           `json:"steps"`
	Events           int           `json:"events"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	CostUSD          float64       `json:"cost_usd"`
	CostKnown        bool          `json:"cost_known"`
	Duration         time.Duration `json:"duration_ns"`
	FinalMessage     string        `json:"final_message"`
	// Snapshot is the workspace snapshot of the session's last step ("" =
	// none recorded).
	Snapshot string `json:"snapshot,omitempty"`
	// Skipped says which damaged lines of the recording were left out
	// ("" = none): the rest is summarized.
	Skipped string `json:"skipped,omitempty"`
}

// Load reads a recording and summarizes it.
func Load(path string) (Summary, []session.Event, error) {
	hdr, evs, err := session.ReadRecordingFile(path)
	if err != nil {
		return Summary{}, nil, err
	}
	if len(evs) == 0 {
		return Summary{}, nil, fmt.Errorf("recording %s has no events (is it a tether recording?)", path)
	}
	return Summarize(path, hdr, evs), evs, nil
}

// Summarize works out a Summary from a recording's header and events.
func Summarize(path string, hdr session.RecordHeader, evs []session.Event) Summary {
	s := Summary{
		Path: path, ConversationID: hdr.ConversationID, Model: hdr.Model,
		Parent: hdr.Parent, ForkAt: hdr.ForkAt, Events: len(evs), Status: "interrupted",
		Skipped: session.SkippedNotice(path, hdr.Skipped),
	}
	calls, known := 0, 0
	var first, last time.Time
	for _, ev := range evs {
		if !ev.Time.IsZero() {
			if first.IsZero() {
				first = ev.Time
			}
			last = ev.Time
		}
		switch ev.Kind {
		case session.KindUserMessage:
			if s.Prompt == "" && ev.Message != nil {
				s.Prompt = ev.Message.Text
			}
		case session.KindAction:
			if a := ev.Action; a != nil && !a.Direct {
				s.Steps++
				if a.Tool == session.ToolFinish {
					var args struct {
						Message string `json:"message"`
					}
					if json.Unmarshal(a.Args, &args) == nil && args.Message != "" {
						s.FinalMessage = args.Message
					}
				}
			}
		case session.KindAssistantMessage:
			if ev.Message != nil && ev.Message.Text != "" {
				s.FinalMessage = ev.Message.Text
			}
		case session.KindUsage:
			if u := ev.Usage; u != nil {
				calls++
				if u.CostKnown {
					known++
				}
				s.PromptTokens, s.CompletionTokens, s.CostUSD = u.TotalPromptTokens, u.TotalCompletionTokens, u.TotalCostUSD
			}
		case session.KindState:
			if st := ev.State; st != nil {
				s.Status = string(st.To)
				if !st.To.Terminal() {
					s.Status = "interrupted" // cut short, unless a later state ends it
				}
			}
		case session.KindWorkspace:
			if w := ev.Workspace; w != nil && w.Snapshot != "" {
				s.Snapshot = w.Snapshot
			}
		}
	}
	s.CostKnown = calls > 0 && known == calls
	s.Duration = last.Sub(first)
	return s
}
