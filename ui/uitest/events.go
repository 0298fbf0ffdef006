// Package uitest builds session events, and a scripted engine that
// publishes them, for the tests of ui and its sub-packages. It is test support
// only: nothing outside _test.go files imports it.
package uitest

import "github.com/tether-dev/tether/session"

// State is a state change.
func State(from, to session.State, reason string) session.Event {
	return session.Event{Kind: session.KindState, State: &session.StateChange{From: from, To: to, Reason: reason}}
}

// User is a prompt the user sent.
func User(text string) session.Event {
	return session.Event{Kind: session.KindUserMessage, Message: &session.Message{Text: text}}
}

// Assistant is the assistant's complete text for one call.
func Assistant(text string) session.Event {
	return session.Event{Kind: session.KindAssistantMessage, Message: &session.Message{Text: text}}
}

// Output is a chunk of stdout of tool call id.
func Output(id, data string) session.Event {
	return session.Event{Kind: session.KindOutput, Output: &session.Output{ToolCallID: id, Stream: "stdout", Data: data}}
}

// Usage reports tokens and cost, the call's and the totals alike.
func Usage(in, out int, cost float64, known bool) session.Event {
	return session.Event{Kind: session.KindUsage, Usage: &session.Usage{
		PromptTokens: in, CompletionTokens: out, TotalPromptTokens: in, TotalCompletionTokens: out,
		CostUSD: cost, TotalCostUSD: cost, CostKnown: known,
	}}
}
