// Package llmtest is an in-process fake of an OpenAI-compatible chat
// server, for tests of anything that talks to a model through package llm.
// It owns only the fake; it must not import sandbox, session or ui, and it
// never touches the network beyond its own 127.0.0.1 listener.
//
// The server speaks POST /v1/chat/completions the way real servers do:
// Server-Sent Events (role chunk, content or reasoning chunks, tool-call
// fragments with index/id/type/function, a finish_reason chunk, a usage
// chunk when stream_options.include_usage is set, then "data: [DONE]"), or
// one JSON chat.completion object when stream is false. Errors use
// OpenAI's {"error":{"message","type","param","code"}} body.
//
// Script it with replies, served in order:
//
//	srv := llmtest.NewServer(t, llmtest.WithAPIKey("sk-test"))
//	srv.Enqueue(
//		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "ls"})),
//		llmtest.TextReply("All done."),
//	)
//	client, _ := llm.New(srv.Config("gpt-4o-mini"))
//
// or decide from the request when the queue is empty:
//
//	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
//		if res, ok := req.LastToolResult(); ok {
//			return llmtest.TextReply("the tool said: " + res.Content)
//		}
//		return llmtest.ToolReply(llmtest.Call("terminal", `{"command":"ls"}`))
//	})
//
// It also speaks POST /v1/responses (OpenAI's Responses API): input items
// are decoded into the same ChatRequest (API "responses"), and replies are
// streamed as response.* events with reasoning items (encrypted_content),
// message items and function_call items.
//
// WithShape(ShapeDeepSeek, ShapeGroq, ShapeOllama, ...) lays the chat
// stream out as that provider does (reasoning field, whole or fragmented
// tool calls, missing indexes or ids, where usage goes, comments) and
// makes the server refuse, with the provider's 400, a conversation that
// lost what the provider requires back: a test through it fails when the
// client drops a reasoning field, a signature, a reasoning item or a call.
//
// Faults are fields of Reply: Status (with RetryAfter) answers with an
// HTTP error, CutAfter drops the connection mid-stream, Hang holds it open
// silently, ChunkDelay slows the stream, StreamError sends an in-stream
// error event, OmitToolIndex imitates servers that leave out tool-call
// indexes. Requests returns every decoded request for assertions.
//
// A Server is safe for concurrent use: many clients may stream from it at
// once, and Enqueue/SetHandler may be called while requests are served
// (handlers run concurrently and must be safe for that). It shuts down in
// t.Cleanup, releasing any hung or slow streams first.
package llmtest
