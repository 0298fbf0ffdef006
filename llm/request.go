package llm

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// emptyToolOutput stands in for an empty tool result: OpenAI rejects a
// tool message without content, and go-openai omits empty content.
const emptyToolOutput = "(no output)"

var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// buildRequest maps req onto the wire request. Problems found here are
// the caller's to fix, so they come back as ErrBadRequest at once.
func (c *Client) buildRequest(req Request) (openai.ChatCompletionRequest, error) {
	out := openai.ChatCompletionRequest{
		Model:    c.cfg.Model,
		Messages: make([]openai.ChatCompletionMessage, 0, len(req.Messages)),
		Stream:   true,
	}
	for _, m := range req.Messages {
		om := openai.ChatCompletionMessage{
			Role:       m.Role,
			Content:    m.Content,
			ToolCallID: m.ToolCallID,
			Name:       m.Name,
		}
		if m.Role == RoleTool && m.Content == "" {
			om.Content = emptyToolOutput
		}
		for _, tc := range m.ToolCalls {
			om.ToolCalls = append(om.ToolCalls, openai.ToolCall{
				ID:       tc.ID,
				Type:     openai.ToolTypeFunction,
				Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments},
			})
		}
		out.Messages = append(out.Messages, om)
	}
	for _, t := range req.Tools {
		params := t.Parameters
		if len(params) == 0 {
			params = emptySchema
		} else if !json.Valid(params) {
			return out, c.requestError(fmt.Sprintf("tool %q has parameters that are not valid JSON: fix its schema", t.Name))
		}
		out.Tools = append(out.Tools, openai.Tool{
			Type: openai.ToolTypeFunction,
			Function: &openai.FunctionDefinition{
				Name:        t.Name,
				Description: t.Description,
				Parameters:  params,
			},
		})
	}
	if c.cfg.MaxTokens > 0 {
		if usesMaxCompletionTokens(c.cfg.Model) {
			out.MaxCompletionTokens = c.cfg.MaxTokens
		} else {
			//lint:ignore SA1019 deprecated by OpenAI only; OpenRouter, Ollama and vLLM know max_tokens, not max_completion_tokens
			out.MaxTokens = c.cfg.MaxTokens
		}
	}
	if t := c.cfg.Temperature; t != nil {
		out.Temperature = *t
		if *t == 0 {
			// go-openai omits a zero temperature, which would leave the
			// server's default (often 1) in force.
			out.Temperature = math.SmallestNonzeroFloat32
		}
	}
	if err := openai.NewReasoningValidator().Validate(out); err != nil {
		return out, c.requestError(fmt.Sprintf("model %q does not accept these settings (%v): unset the temperature or max tokens setting", c.cfg.Model, err))
	}
	return out, nil
}

func (c *Client) requestError(msg string) *Error {
	return &Error{Kind: ErrBadRequest, msg: c.redact.clean("llm: " + msg)}
}

// usesMaxCompletionTokens reports whether OpenAI requires
// max_completion_tokens for model. Only bare OpenAI names qualify: other
// servers (OpenRouter, Ollama, vLLM) accept max_tokens for everything.
func usesMaxCompletionTokens(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}
