package llm

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/internal/redact"
)

func TestLookupPrice(t *testing.T) {
	cases := []struct {
		model string
		in    float64 // expected InputPerMTok; -1 = unknown
	}{
		{"gpt-4o", 2.50},
		{"openai/gpt-4o", 2.50},
		{"GPT-4o", 2.50},
		{"gpt-4o-2024-08-06", 2.50},
		{"gpt-4o-2024-05-13", 5.00}, // exact dated entry wins over the prefix
		{"gpt-4o-mini", 0.15},
		{"gpt-4o-mini-2024-07-18", 0.15},
		{"gpt-4.1-nano-2025-04-14", 0.10},
		{"o3", 2.00},
		{"o4-mini", 1.10},
		{"o3-pro", 20.00},
		{"gpt-5", 1.25},
		{"gpt-5-mini", 0.25},
		{"gpt-5-chat-latest", 1.25},
		{"anthropic/claude-sonnet-4", 3.00},
		{"claude-sonnet-4-20250514", 3.00},
		{"anthropic/claude-3.5-sonnet", 3.00},
		{"claude-3-5-sonnet-20241022", 3.00},
		{"anthropic/claude-3.7-sonnet:thinking", 3.00},
		{"anthropic/claude-opus-4.1", 15.00},
		{"claude-sonnet-4-5-20250929", 3.00},
		{"google/gemini-2.5-flash", 0.30},
		{"meta-llama/llama-3.3-70b-instruct:free", 0},
		// newer models, and dated forms that are not their base's price
		{"gpt-5.1-2025-11-13", 1.25},
		{"gpt-5.4-mini", 0.75},
		{"gpt-3.5-turbo-1106", 1.00},
		{"gpt-3.5-turbo-0613", 1.50},
		{"gpt-3.5-turbo-0125", 0.50},
		{"anthropic/claude-opus-4.5", 5.00},
		{"claude-opus-4-5-20251101", 5.00},
		{"claude-opus-4-20250514", 15.00},
		{"anthropic/claude-sonnet-4.6", 3.00},
		{"google/gemini-3-pro-preview", 2.00},
		{"deepseek-v4-flash", 0.14},
		// unknown: never guessed
		{"gpt-4o-audio-preview", -1},
		{"gpt-6", -1},
		{"deepseek-chat", -1},
		{"claude-haiku-5-5", -1},
		{"llama3.1:8b", -1},
		{"qwen2.5-coder", -1},
		{"", -1},
	}
	for _, tc := range cases {
		p, ok := LookupPrice(tc.model, nil)
		if tc.in < 0 {
			if ok {
				t.Errorf("%q: got price %+v for an unknown model", tc.model, p)
			}
			continue
		}
		if !ok || p.InputPerMTok != tc.in {
			t.Errorf("%q: got %+v, %v; want input %v", tc.model, p, ok, tc.in)
		}
	}
	over := map[string]Price{"anthropic/claude-sonnet-4": {InputPerMTok: 9}, "llama3.1": {}}
	if p, ok := LookupPrice("claude-sonnet-4-20250514", over); !ok || p.InputPerMTok != 9 {
		t.Errorf("override by vendor name not applied to dated name: %+v %v", p, ok)
	}
	if p, ok := LookupPrice("llama3.1:8b", over); !ok || p != (Price{}) {
		t.Errorf("override for local model: %+v %v", p, ok)
	}
	// Cache reads and writes at their own rates: Opus 4.5, 1M prompt
	// tokens of which 0.5M read from the cache and 0.2M written to it.
	p, _ := LookupPrice("claude-opus-4-5", nil)
	if got, want := p.cost(1_000_000, 500_000, 200_000, 0), 0.3*5.00+0.5*0.50+0.2*6.25; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("opus 4.5 cost %v, want %v", got, want)
	}
}

func TestSSEReader(t *testing.T) {
	body := ": OPENROUTER PROCESSING\r\n\r\ndata:{\"a\":1}\r\n\r\nevent: response.created\ndata: {\"b\":2}\n" +
		"data: {\"c\":3}\nid: 7\nretry: 10\n\ndata: [DONE]"
	for _, size := range []int{16, 4096} { // a tiny buffer forces long-line handling
		r := sseReader{r: bufio.NewReaderSize(strings.NewReader(body), size), maxLine: 1 << 10}
		var got []string
		for {
			name, data, err := r.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, name+"|"+string(data))
		}
		want := []string{`|{"a":1}`, `response.created|{"b":2}`, `|{"c":3}`, `|[DONE]`}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("buffer %d: events %q, want %q", size, got, want)
		}
	}
	// A line that never ends is cut at maxLine, not buffered forever.
	r := sseReader{r: bufio.NewReaderSize(strings.NewReader("data: "+strings.Repeat("x", 5000)), 16), maxLine: 1000}
	if _, _, err := r.next(); !errors.Is(err, errLineTooLong) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	h := http.Header{}
	if ra := parseRetryAfter(h); ra.ok {
		t.Fatal("no header should give no wait")
	}
	h.Set("Retry-After", "7")
	if ra := parseRetryAfter(h); !ra.ok || ra.d != 7*time.Second {
		t.Fatalf("seconds: %+v", ra)
	}
	h.Set("Retry-After-Ms", "250")
	if ra := parseRetryAfter(h); !ra.ok || ra.d != 250*time.Millisecond {
		t.Fatalf("ms: %+v", ra)
	}
	h = http.Header{}
	h.Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
	if ra := parseRetryAfter(h); !ra.ok || ra.d < 25*time.Second || ra.d > 31*time.Second {
		t.Fatalf("date: %+v", ra)
	}
	h.Set("Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
	if ra := parseRetryAfter(h); !ra.ok || ra.d != 0 {
		t.Fatalf("past date: %+v", ra)
	}
	h.Set("Retry-After", "soon")
	if ra := parseRetryAfter(h); ra.ok {
		t.Fatalf("garbage: %+v", ra)
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	c := &Client{retryDelay: 100 * time.Millisecond}
	for n := range 12 {
		d := c.backoff(n, retryAfter{})
		full := min(100*time.Millisecond<<n, maxBackoff)
		if d < full/2 || d > full {
			t.Fatalf("retry %d: %v outside [%v, %v]", n, d, full/2, full)
		}
	}
	if d := c.backoff(0, retryAfter{d: 3 * time.Second, ok: true}); d != 3*time.Second {
		t.Fatalf("Retry-After not used: %v", d)
	}
}

// feed runs chunks (JSON text) through an assembler.
func feed(t *testing.T, chunks ...string) (*assembler, []Delta) {
	t.Helper()
	var ds []Delta
	a := &assembler{onDelta: func(d Delta) { ds = append(ds, d) }}
	d := &chatDecoder{c: &Client{}, a: a}
	for _, c := range chunks {
		var ch wireChunk
		if err := json.Unmarshal([]byte(c), &ch); err != nil {
			t.Fatalf("bad test chunk %s: %v", c, err)
		}
		d.add(&ch)
	}
	return a, ds
}

func TestAssemblerServerQuirks(t *testing.T) {
	c := &Client{}
	// Every call numbered 0, each with its own id (seen from some
	// Gemini-compatible endpoints).
	a, _ := feed(t,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"terminal","arguments":"{\"c\":"}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"b","function":{"name":"finish","arguments":"{}"}}]}}]}`,
	)
	got := a.response(c).Message.ToolCalls
	if len(got) != 2 || got[0] != (ToolCall{ID: "a", Name: "terminal", Arguments: `{"c":1}`}) || got[1] != (ToolCall{ID: "b", Name: "finish", Arguments: "{}"}) {
		t.Fatalf("index-0 server: %+v", got)
	}
	// The id and name repeated on every fragment.
	a, ds := feed(t,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"x","type":"function","function":{"name":"t","arguments":"{\"a\""}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"x","type":"function","function":{"name":"t","arguments":":2}"}}]}}]}`,
	)
	got = a.response(c).Message.ToolCalls
	if len(got) != 1 || got[0] != (ToolCall{ID: "x", Name: "t", Arguments: `{"a":2}`}) || len(ds) != 2 {
		t.Fatalf("repeating server: %+v, %d deltas", got, len(ds))
	}
	// No ids at all, no index: ids are made up so results can refer to them.
	a, _ = feed(t,
		`{"choices":[{"delta":{"tool_calls":[{"function":{"name":"t","arguments":"{}"}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"function":{"name":"u","arguments":"{"}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]}`,
	)
	got = a.response(c).Message.ToolCalls
	if len(got) != 2 || got[0].ID == "" || got[0].ID == got[1].ID || got[1].Arguments != "{}" || got[1].Name != "u" {
		t.Fatalf("id-less server: %+v", got)
	}
	// Several calls in one chunk, interleaved fragments by index.
	a, _ = feed(t,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"p","function":{"name":"t","arguments":""}},{"index":1,"id":"q","function":{"name":"u","arguments":""}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"[1"}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"[0"}}]}}]}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"]"}},{"index":0,"function":{"arguments":"]"}}]}}]}`,
	)
	got = a.response(c).Message.ToolCalls
	if len(got) != 2 || got[0] != (ToolCall{ID: "p", Name: "t", Arguments: "[0]"}) || got[1] != (ToolCall{ID: "q", Name: "u", Arguments: "[1]"}) {
		t.Fatalf("interleaved: %+v", got)
	}
	// Both reasoning fields with the same text are reported once.
	a, ds = feed(t, `{"choices":[{"delta":{"reasoning":"hm","reasoning_content":"hm"}}]}`)
	if r := a.response(c).Reasoning; r != "hm" || len(ds) != 1 {
		t.Fatalf("reasoning %q, %d deltas", r, len(ds))
	}
}

func TestRedactor(t *testing.T) {
	const key = "sk-abcdef123456"
	r := newRedactor(key, "", "ab")
	got := r.clean("key " + key + " and ab, echoed: " + key[:len(key)-1] + "!")
	if strings.Contains(got, key[:12]) || !strings.Contains(got, "and ab") || strings.Count(got, redact.Marker) != 2 {
		t.Fatalf("clean = %q: want the key and its 14-character echo masked, the placeholder kept", got)
	}
}
