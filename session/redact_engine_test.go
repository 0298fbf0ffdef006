package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
)

// TestResultRedactsFinalMessage: the final message (printed by `tether
// run`, put in --json and suite reports) and the reason are redacted like
// events, whether the model says it in text or through finish.
func TestResultRedactsFinalMessage(t *testing.T) {
	const key = "sk-final-SECRET-0123456789abcdef"
	for name, reply := range map[string]fakeReply{
		"text":   {text: "the key is " + key + ", or " + key[3:20]},
		"finish": {calls: []llm.ToolCall{call("f", "finish", `{"message":"key `+key+`"}`)}},
	} {
		t.Run(name, func(t *testing.T) {
			m := &fakeModel{replies: []fakeReply{reply}}
			s, _ := newTestSession(t, m, func(o *Options) { o.Secrets = []string{key} })
			c := collect(s)
			res, _ := s.Run(context.Background(), "hi")
			c.finish(t, s)
			b, _ := json.Marshal(res)
			if strings.Contains(string(b), key[3:15]) {
				t.Errorf("the result carries the key: %s", b)
			}
			if !strings.Contains(res.FinalMessage, "[REDACTED]") {
				t.Errorf("final message %q: want the key shown as [REDACTED]", res.FinalMessage)
			}
			if got := s.Result(); got.FinalMessage != res.FinalMessage {
				t.Errorf("Session.Result %q differs from Run's %q", got.FinalMessage, res.FinalMessage)
			}
		})
	}
}

// TestNegativeUsageIsIgnored: a server reporting negative tokens or cost
// must not lower the totals.
func TestNegativeUsageIsIgnored(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "done", usage: llm.Usage{PromptTokens: -500, CompletionTokens: -7, CostUSD: -1, CostKnown: true}}}}
	s, _ := newTestSession(t, m, func(*Options) {})
	c := collect(s)
	res, _ := s.Run(context.Background(), "hi")
	c.finish(t, s)
	if res.PromptTokens < 0 || res.CompletionTokens < 0 || res.CostUSD < 0 {
		t.Errorf("negative usage reached the result: %+v", res)
	}
}
