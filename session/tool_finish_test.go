package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestFinishTool(t *testing.T) {
	tool := NewFinishTool()
	res, err := tool.Run(context.Background(), ToolCall{ID: "f", Args: json.RawMessage(`{"message": " All done: 3 tests fixed. "}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finish || res.FinishMessage != "All done: 3 tests fixed." || res.Content != res.FinishMessage || res.IsError {
		t.Fatalf("result %+v", res)
	}
	for _, bad := range []string{`{}`, `{"message": 3}`, `[`} {
		if _, err := tool.Run(context.Background(), ToolCall{Args: json.RawMessage(bad)}); err == nil || !strings.Contains(err.Error(), "message") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
	_, sum := tool.(Describer).Describe(json.RawMessage(`{"message": "Fixed it\nDetails..."}`))
	if sum != "finish: Fixed it…" {
		t.Fatalf("summary %q", sum)
	}
}

func TestDefaultTools(t *testing.T) {
	names := func(tools []Tool) string {
		var n []string
		for _, tl := range tools {
			def := tl.Definition()
			var schema map[string]any
			if err := json.Unmarshal(def.Parameters, &schema); err != nil || schema["type"] != "object" {
				t.Fatalf("%s: parameters are not a JSON Schema object: %v", def.Name, err)
			}
			if def.Description == "" {
				t.Fatalf("%s: no description", def.Name)
			}
			if _, ok := tl.(Describer); !ok {
				t.Fatalf("%s is not a Describer", def.Name)
			}
			n = append(n, def.Name)
		}
		return strings.Join(n, ",")
	}
	if got := names(DefaultTools(false)); got != "terminal,file_editor,finish" {
		t.Fatalf("DefaultTools(false) = %s", got)
	}
	if got := names(DefaultTools(true)); got != "terminal,file_editor,finish,task_tracker" {
		t.Fatalf("DefaultTools(true) = %s", got)
	}
	// Fresh instances each time: state is per session.
	if DefaultTools(false)[0] == DefaultTools(false)[0] {
		t.Fatal("DefaultTools returned shared instances")
	}
}
