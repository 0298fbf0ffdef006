package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxModelList bounds the /models answer read (OpenRouter's lists some
// hundreds of models in about 1 MB).
const maxModelList = 8 << 20

// ListModels asks the endpoint which models it serves (GET /models, the
// OpenAI shape: {"data": [{"id": ...}, ...]}) and returns their ids in the
// server's order. Servers without the route answer with an error saying
// so; a model can still be named by hand.
func (c *Client) ListModels(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("llm: listing models at %s: %w", c.baseURL, err)
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("llm: listing models at %s: %s: check LLM_BASE_URL and that the server is up", c.baseURL, c.redact.clean(shorten(err.Error())))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxModelList))
	if err != nil {
		return nil, fmt.Errorf("llm: listing models at %s: reading the answer: %s", c.baseURL, c.redact.clean(shorten(err.Error())))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("llm: %s/models answered HTTP %d (%s): type the model's name instead", c.baseURL, resp.StatusCode, c.redact.clean(shorten(strings.TrimSpace(string(body)))))
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("llm: %s/models did not answer with a model list (%v): type the model's name instead", c.baseURL, err)
	}
	ids := make([]string, 0, len(list.Data))
	seen := make(map[string]bool, len(list.Data))
	for _, m := range list.Data {
		if id := strings.TrimSpace(m.ID); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// WithModel returns a client like c for another model: same endpoint, key
// and limits, with what depends on the model (API, token field, price)
// chosen for it.
func (c *Client) WithModel(name string) (*Client, error) {
	cfg := c.cfg
	cfg.Model = strings.TrimSpace(name)
	return New(cfg)
}
