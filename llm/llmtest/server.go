package llmtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// Server is a fake OpenAI-compatible chat server on 127.0.0.1.
type Server struct {
	// URL is the base URL including /v1, ready for llm.Config.BaseURL.
	URL string

	ts        *httptest.Server
	apiKey    string
	models    map[string]bool
	listed    []string // what GET /v1/models answers
	noOptions bool
	shape     Shape
	strict    bool              // check conversations as the shape's provider does
	issued    map[string]issued // tool call id → what was sent with it
	done      chan struct{}     // closed on Close: releases hung and slow streams
	closeOnce sync.Once
	ids       atomic.Int64
	created   int64

	mu       sync.Mutex
	queue    []Reply
	handler  func(ChatRequest) Reply
	requests []ChatRequest
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey makes the server demand "Authorization: Bearer key" and
// answer 401 (OpenAI's invalid_api_key body) otherwise.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithModels makes the server answer 404 model_not_found for any other model.
func WithModels(models ...string) Option {
	return func(s *Server) {
		s.models = make(map[string]bool, len(models))
		for _, m := range models {
			s.models[m] = true
		}
	}
}

// WithModelList makes GET /v1/models list these ids (in this order); the
// default lists the models given to WithModels, sorted, or none.
func WithModelList(ids ...string) Option { return func(s *Server) { s.listed = slices.Clone(ids) } }

// WithoutStreamOptions imitates servers that reject stream_options: a
// request carrying it gets 400 "Unrecognized request argument supplied:
// stream_options" (without consuming a scripted reply).
func WithoutStreamOptions() Option { return func(s *Server) { s.noOptions = true } }

// NewServer starts a server that is closed in t.Cleanup.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := Start(opts...)
	t.Cleanup(s.Close)
	return s
}

// Start starts a server outside a test (benchmark scripts, demos); the
// caller must Close it.
func Start(opts ...Option) *Server {
	s := &Server{done: make(chan struct{}), created: time.Now().Unix()}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, decodeRequest, s.events)
	})
	mux.HandleFunc("/v1/responses", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, decodeResponsesRequest, s.responseEvents)
	})
	mux.HandleFunc("/v1/models", s.serveModels)
	s.ts = httptest.NewServer(mux)
	s.URL = s.ts.URL + "/v1"
	return s
}

// Config returns an llm.Config pointing at this server with the server's
// API key and quick retries, for the given model.
func (s *Server) Config(model string) llm.Config {
	return llm.Config{
		BaseURL:    s.URL,
		APIKey:     s.apiKey,
		Model:      model,
		RetryDelay: time.Millisecond,
	}
}

// Close releases hung streams and shuts the server down; later requests
// fail to connect. It is called by t.Cleanup and may be called earlier.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// Enqueue appends replies to be served in order, one per request.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	s.queue = append(s.queue, replies...)
	s.mu.Unlock()
}

// SetHandler sets the function that answers when the queue is empty; nil
// removes it. It is called concurrently for concurrent requests. A handler
// that blocks must be released before the test ends (Close waits for it).
func (s *Server) SetHandler(h func(req ChatRequest) Reply) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Requests returns every decoded request received so far, in arrival order.
func (s *Server) Requests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Pending is the number of queued replies not served yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// serveModels answers GET /v1/models in OpenAI's shape.
func (s *Server) serveModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "only GET is supported", "invalid_request_error", "", "")
		return
	}
	if s.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+s.apiKey {
		msg, typ, code := defaultError(http.StatusUnauthorized, "", "")
		writeError(w, http.StatusUnauthorized, msg, typ, code, "")
		return
	}
	ids := s.listed
	if ids == nil {
		for m := range s.models {
			ids = append(ids, m)
		}
		slices.Sort(ids)
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, id := range ids {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: s.created, OwnedBy: "llmtest"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}

// serve answers one request of either API: decode reads its body, render
// turns a reply into that API's stream.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, decode func([]byte, string) (ChatRequest, error), render func(ChatRequest, Reply) []sseEvent) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "only POST is supported", "invalid_request_error", "", "")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // client went away
	}
	req, err := decode(body, r.Header.Get("Authorization"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "invalid_request_error", "", "")
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	n := len(s.requests)
	s.mu.Unlock()

	switch {
	case s.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+s.apiKey:
		msg, typ, code := defaultError(http.StatusUnauthorized, req.Model, req.APIKey)
		writeError(w, http.StatusUnauthorized, msg, typ, code, "")
		return
	case s.models != nil && !s.models[req.Model]:
		msg, typ, code := defaultError(http.StatusNotFound, req.Model, "")
		writeError(w, http.StatusNotFound, msg, typ, code, "")
		return
	case s.noOptions && req.StreamOptions:
		writeError(w, http.StatusBadRequest, "Unrecognized request argument supplied: stream_options", "invalid_request_error", "", "")
		return
	case req.API == "responses" && !req.Stream:
		writeError(w, http.StatusBadRequest, "llmtest: /v1/responses is served streamed only", "invalid_request_error", "", "")
		return
	}
	if msg := s.check(req); msg != "" {
		writeError(w, http.StatusBadRequest, msg, "invalid_request_error", "", "")
		return
	}

	reply, ok := s.next(req)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("llmtest: no reply scripted for request #%d (model %q): Enqueue more replies or SetHandler", n, req.Model), "invalid_request_error", "", "")
		return
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	if reply.Body != "" {
		if reply.ContentType != "" {
			w.Header().Set("Content-Type", reply.ContentType)
		}
		w.WriteHeader(cmp.Or(reply.Status, http.StatusOK))
		_, _ = io.WriteString(w, reply.Body)
		return
	}
	if reply.Status != 0 {
		msg, typ, code := defaultError(reply.Status, req.Model, req.APIKey)
		if reply.ErrorMessage != "" {
			msg = reply.ErrorMessage
		}
		if reply.ErrorCode != "" {
			code = reply.ErrorCode
		}
		writeError(w, reply.Status, msg, typ, code, reply.RetryAfter)
		return
	}
	// A handler may hand out the same Reply to concurrent requests: copy
	// the calls before filling in ids.
	reply.ToolCalls = slices.Clone(reply.ToolCalls)
	for i := range reply.ToolCalls {
		if reply.ToolCalls[i].ID == "" {
			reply.ToolCalls[i].ID = fmt.Sprintf("call_%d", s.ids.Add(1))
		}
	}
	if req.API == "responses" && reply.Reasoning != "" {
		reply.rsID = fmt.Sprintf("rs_%d", s.ids.Add(1))
	}
	s.remember(reply)
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	if req.Stream {
		s.stream(w, r, render(req, reply), reply)
	} else {
		s.complete(w, req, reply)
	}
}

// next pops the queue or asks the handler (outside the lock: handlers may
// be slow or call back into the server).
func (s *Server) next(req ChatRequest) (Reply, bool) {
	s.mu.Lock()
	if len(s.queue) > 0 {
		r := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		return r, true
	}
	h := s.handler
	s.mu.Unlock()
	if h == nil {
		return Reply{}, false
	}
	return h(req), true
}

func writeError(w http.ResponseWriter, status int, msg, typ, code, retryAfter string) {
	var c any
	if code != "" {
		c = code
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": c,
	}})
	w.Header().Set("Content-Type", "application/json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// complete answers a non-streaming request with one chat.completion object.
func (s *Server) complete(w http.ResponseWriter, req ChatRequest, reply Reply) {
	msg := struct {
		Role      string     `json:"role"`
		Content   *string    `json:"content"`
		ToolCalls []wireCall `json:"tool_calls,omitempty"`
	}{Role: "assistant"}
	if reply.Text != "" || len(reply.ToolCalls) == 0 {
		msg.Content = &reply.Text
	}
	for _, tc := range reply.ToolCalls {
		c := wireCall{ID: tc.ID, Type: "function"}
		c.Function.Name, c.Function.Arguments = tc.Name, tc.Args
		msg.ToolCalls = append(msg.ToolCalls, c)
	}
	prompt, completion := reply.usage(req)
	body, _ := json.Marshal(map[string]any{
		"id":      fmt.Sprintf("chatcmpl-%d", s.ids.Add(1)),
		"object":  "chat.completion",
		"created": s.created,
		"model":   req.Model,
		"choices": []any{map[string]any{
			"index": 0, "message": msg, "logprobs": nil, "finish_reason": reply.finishReason(),
		}},
		"usage": usageJSON(prompt, completion, reply.CachedTokens),
	})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func usageJSON(prompt, completion, cached int) map[string]any {
	return map[string]any{
		"prompt_tokens":         prompt,
		"completion_tokens":     completion,
		"total_tokens":          prompt + completion,
		"prompt_tokens_details": map[string]int{"cached_tokens": cached},
	}
}
