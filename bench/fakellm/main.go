// Command fakellm serves a scripted OpenAI-compatible model on loopback, so
// tether can be tried and measured with no API key and no network:
//
//	go run ./bench/fakellm -addr 127.0.0.1:8089 &
//	LLM_BASE_URL=http://127.0.0.1:8089/v1 LLM_MODEL=fake LLM_API_KEY=x go run .
//
// Each user prompt is answered by running it as a terminal command (so
// "seq 1 200000" floods output), then finishing with a short summary. A
// prompt starting with "say " is answered with text only. Finish messages
// count the commands run ("done #N"), so a harness can tell them apart.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address (loopback)")
	delay := flag.Duration("chunk-delay", 5*time.Millisecond, "delay between streamed chunks")
	models := flag.String("models", "gpt-4.1-mini,gpt-4.1,o4-mini", "comma-separated ids GET /v1/models lists")
	flag.Parse()

	srv := llmtest.Start(llmtest.WithModelList(strings.Split(*models, ",")...))
	defer srv.Close()
	var mu sync.Mutex
	finished := 0
	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		last := req.Last()
		prompt := userPrompt(last.Content)
		if last.Role == llm.RoleTool || prompt == "" {
			mu.Lock()
			finished++
			n := finished
			mu.Unlock()
			return llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{llmtest.Call("finish", map[string]any{
				"message": fmt.Sprintf("Ran the command; the output is above. (done #%d)", n)})}, ChunkDelay: *delay}
		}
		if text, ok := strings.CutPrefix(prompt, "say "); ok {
			return llmtest.Reply{Text: text, ChunkDelay: *delay}
		}
		return llmtest.Reply{
			Text:       "I will run `" + prompt + "` in the sandbox.",
			ToolCalls:  []llmtest.ToolCallReply{llmtest.Call("terminal", map[string]any{"command": prompt})},
			ChunkDelay: *delay,
		}
	})
	target, _ := url.Parse(strings.TrimSuffix(srv.URL, "/v1"))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(1)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // stream SSE as it comes
	fmt.Fprintf(os.Stderr, "fakellm: serving on http://%s/v1\n", ln.Addr())
	go http.Serve(ln, proxy)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

// userPrompt is what the user typed: tether puts notes of what the user
// did themselves (`!cmd`, the wheel) before the prompt, a paragraph each,
// and those are not part of the command to run. A message that is only
// such notes (the wheel handed back during a run) has no prompt: "".
func userPrompt(content string) string {
	p := strings.TrimSpace(content)
	if !strings.HasPrefix(p, "[The user ") {
		return p
	}
	if i := strings.LastIndex(p, "\n\n"); i >= 0 {
		p = strings.TrimSpace(p[i+2:])
	}
	if strings.HasPrefix(p, "[The user ") && strings.HasSuffix(p, "]") {
		return ""
	}
	return p
}
