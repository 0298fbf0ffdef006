package session

import (
	"encoding/json"
	"strings"

	"github.com/tether-dev/tether/llm"
)

// ConfirmPolicy says which actions wait for approval besides those of step
// mode (OpenHands' confirmation policies).
type ConfirmPolicy int

// Confirmation policies of Options.Confirm.
const (
	// ConfirmNever asks only in step mode (the default).
	ConfirmNever ConfirmPolicy = iota
	// ConfirmAlways asks for every action, as step mode does.
	ConfirmAlways
	// ConfirmRisky asks for actions the model rates security_risk MEDIUM
	// or HIGH, and for those it does not rate. Each tool's parameters get
	// a security_risk field under this policy so that the model can.
	ConfirmRisky
)

// securityRiskField is the parameter models fill in under ConfirmRisky.
const securityRiskField = "security_risk"

// needsApproval decides whether a valid call of a known tool waits for
// the user. s.mu held.
func (s *Session) needsApproval(tool string, args json.RawMessage) bool {
	switch {
	case s.stepMode:
		return true
	case !s.policyAsks() || tool == ToolFinish:
		return false
	case s.opts.Confirm == ConfirmAlways:
		return true
	}
	var rated struct {
		Risk string `json:"security_risk"`
	}
	_ = json.Unmarshal(args, &rated)
	return strings.ToUpper(rated.Risk) != "LOW"
}

// withRiskField adds the security_risk parameter to a tool's JSON Schema,
// leaving a schema it cannot read as it is.
func withRiskField(def llm.Tool) llm.Tool {
	var schema map[string]any
	if json.Unmarshal(def.Parameters, &schema) != nil || schema == nil {
		return def
	}
	props, _ := schema["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	props[securityRiskField] = map[string]any{
		"type": "string", "enum": []string{"LOW", "MEDIUM", "HIGH"},
		"description": "How risky this call is: LOW (reads, harmless), MEDIUM (changes files in the workspace), HIGH (deletes data, touches the network or the system). MEDIUM and HIGH wait for the user's approval.",
	}
	schema["properties"] = props
	if raw, err := json.Marshal(schema); err == nil {
		def.Parameters = raw
	}
	return def
}

// policyAsks reports whether Options.Confirm still asks (ApproveAll ends
// it). s.mu held.
func (s *Session) policyAsks() bool { return s.opts.Confirm != ConfirmNever && !s.approveAll }
