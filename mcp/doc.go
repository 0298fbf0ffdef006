// Package mcp gives an agent tools from Model Context Protocol servers,
// over the official SDK (github.com/modelcontextprotocol/go-sdk): each tool
// a server lists becomes a session.Tool named "<server>__<tool>", called,
// approved, recorded and replayed like any other.
//
// Where a server runs is a choice with consequences, so the default is the
// safe one: a stdio server is started inside the agent's sandbox (its side
// effects stay sandboxed). A server on the host ("host") or reached over
// streamable HTTP ("http") must be asked for explicitly in the config.
// In a sandbox whose Exec takes no stdin (Daytona) the server runs on a
// terminal of its own there (sandbox.Terminal), in raw mode (shell.go).
//
// A server that fails to start or dies is reported (Status, and an error
// observation for a call to it), never a hung session: every call is
// bounded by the session's context and a per-call timeout.
//
// It drives sandboxes only through sandbox.Sandbox (and Terminal) and knows nothing of the
// UI or the LLM client.
package mcp
