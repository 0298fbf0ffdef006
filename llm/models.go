package llm

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// What the client knows of models by name. go-openai's request validator
// is the source for which OpenAI models need the Responses API for tool
// calls and which refuse sampling settings; the client never lets it
// refuse a request, it only asks it.

// chooseAPI resolves Config.API for model.
func chooseAPI(api, model string) string {
	if api != APIAuto {
		return api
	}
	if needsResponses(model) {
		return APIResponses
	}
	return APIChat
}

// needsResponses reports whether model only calls tools through the
// Responses API: those go-openai's validator refuses on Chat Completions
// with "requires the Responses API", and the gpt-6 family by name (dated
// and later variants the validator does not list yet).
func needsResponses(model string) bool {
	probe := openai.ChatCompletionRequest{Model: model, Tools: []openai.Tool{{Type: openai.ToolTypeFunction}}}
	if errors.Is(openai.NewReasoningValidator().Validate(probe), openai.ErrReasoningToolsRequireResponses) {
		return true
	}
	return strings.HasPrefix(strings.ToLower(model), "gpt-6")
}

// reasoningName matches OpenAI reasoning model names, also inside a
// deployment name ("prod-o3-mini", "my-gpt-5-eu").
var reasoningName = regexp.MustCompile(`(^|[-_./ ])(o1|o3|o4|gpt-5|gpt-6)([-_.]|$)`)

// usesMaxCompletionTokens reports whether OpenAI requires
// max_completion_tokens for model. Bare OpenAI names qualify anywhere; a
// name that merely contains one qualifies on OpenAI and Azure hosts
// (deployment names), since other servers (OpenRouter, Ollama, vLLM) take
// max_tokens for everything. Config.MaxTokensParam overrides this.
func usesMaxCompletionTokens(model, host string) bool {
	m := strings.ToLower(model)
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	host = strings.ToLower(host)
	openAIHost := host == "api.openai.com" || strings.HasSuffix(host, ".openai.azure.com") ||
		strings.HasSuffix(host, ".cognitiveservices.azure.com") || strings.HasSuffix(host, ".services.ai.azure.com")
	return openAIHost && reasoningName.MatchString(m)
}

// checkSettings refuses, before any request, a temperature that OpenAI's
// reasoning models reject, naming the setting to change.
func (c *Client) checkSettings() error {
	t := c.cfg.Temperature
	if t == nil || *t == 1 {
		return nil
	}
	m := strings.ToLower(c.cfg.Model)
	reasoning := false
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		reasoning = reasoning || strings.HasPrefix(m, p)
	}
	if !reasoning || strings.HasPrefix(m, "gpt-5-chat") {
		return nil
	}
	return c.requestError(fmt.Sprintf("model %q does not accept a temperature other than 1 (it is set to %g): remove temperature from [llm] (or LLM_TEMPERATURE)", c.cfg.Model, *t))
}

func (c *Client) requestError(msg string) *Error {
	return &Error{Kind: ErrBadRequest, msg: c.redact.clean("llm: " + msg)}
}
