package setup

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

// TestModelTakesEveryLLMSetting: each [llm] setting reaches the client:
// the wire API, the max-tokens field, the reply limits and the cached and
// cache-write rates of a price override.
func TestModelTakesEveryLLMSetting(t *testing.T) {
	srv := llmtest.NewServer(t)
	cfg := config.Default()
	cfg.LLM.BaseURL, cfg.LLM.Model = srv.URL, "my-finetune"
	cfg.LLM.MaxTokens, cfg.LLM.MaxTokensParam = 100, "max_completion_tokens"
	cfg.LLM.MaxReplyBytes = 64
	cfg.LLM.MaxRetries = -1
	cfg.LLM.Prices = map[string]config.Price{"my-finetune": {Input: 2, Output: 8, CachedInput: 0.5, CacheWrite: 2.5}}
	c, err := Model(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Enqueue(llmtest.Reply{Text: "ok", PromptTokens: 1_000_000, CachedTokens: 500_000})
	resp, err := c.Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 0.5 M uncached at $2 + 0.5 M cached at $0.5.
	if want := 1.25; !resp.Usage.CostKnown || math.Abs(resp.Usage.CostUSD-want) > 1e-9 {
		t.Errorf("cost %+v, want $%.2f from the override's cached rate", resp.Usage, want)
	}
	if body := string(srv.Requests()[0].Body); !strings.Contains(body, `"max_completion_tokens":100`) {
		t.Errorf("max_tokens_param not applied: %s", body)
	}
	srv.Enqueue(llmtest.TextReply(strings.Repeat("long ", 40)))
	if _, err := c.Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}, nil); !errors.Is(err, llm.ErrReplyLimit) {
		t.Errorf("max_reply_bytes = 64 not applied: %v", err)
	}
	cfg.LLM.API = "responses"
	if c, err := Model(cfg, nil); err != nil || c.API() != llm.APIResponses {
		t.Errorf("api = responses not applied: %v", err)
	}
}
