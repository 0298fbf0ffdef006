package session

import "time"

// Result is what a run left: status, event count, cost, sandbox and
// conversation ids, tokens, duration and the final message.
// Cost and tokens are the session's totals so far.
type Result struct {
	Status           State         `json:"status"`
	Reason           string        `json:"reason,omitempty"`
	EventCount       int64         `json:"event_count"`
	CostUSD          float64       `json:"cost_usd"`
	CostKnown        bool          `json:"cost_known"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	SandboxID        string        `json:"sandbox_id"`
	ConversationID   string        `json:"conversation_id"`
	Duration         time.Duration `json:"duration_ns"`
	FinalMessage     string        `json:"final_message"`
	RecordPath       string        `json:"record_path,omitempty"`
	// RecordError says why the run is not (or no longer) recorded, when
	// recording was asked for: a full disk, say. RecordPath is "" when it
	// could not start.
	RecordError string `json:"record_error,omitempty"`
	// Workspace, for a fork or resume, says how its sandbox's files were
	// put back as they were at the fork point and what could not be.
	Workspace *Restore `json:"workspace,omitempty"`
}

// Result is the result of the last run that ended (Status idle before any).
func (s *Session) Result() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result
}

// resultLocked builds a Result from the session's totals. s.mu held.
func (s *Session) resultLocked(st State, reason, final string, d time.Duration) Result {
	t := s.totals
	return Result{
		Status:           st,
		Reason:           s.bus.redact.text(reason),
		EventCount:       s.bus.count(),
		CostUSD:          t.cost,
		CostKnown:        t.calls > 0 && t.knownCalls == t.calls,
		PromptTokens:     t.prompt,
		CompletionTokens: t.completion,
		SandboxID:        s.sb.ID(),
		ConversationID:   s.convID,
		Duration:         d,
		FinalMessage:     s.bus.redact.text(final), // printed, put in reports
		RecordPath:       s.opts.RecordPath,
		RecordError:      s.recordError(),
		Workspace:        s.restored,
	}
}

// recordError is why the session is not (or no longer) recorded.
func (s *Session) recordError() string {
	why := s.recordFailed
	if why == "" {
		why = s.rec.failure()
	}
	if why == "" {
		return ""
	}
	return s.bus.redact.text(why)
}
