package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestTaskTracker(t *testing.T) {
	tool := NewTaskTrackerTool()
	run := func(args string) (ToolResult, error) {
		return tool.Run(context.Background(), ToolCall{ID: "p", Args: json.RawMessage(args)})
	}
	res, err := run(`{"command": "view"}`)
	if err != nil || !strings.Contains(res.Content, "No task list yet") {
		t.Fatalf("empty view: %q %v", res.Content, err)
	}
	res, err = run(`{"command": "plan", "task_list": [
		{"title": "Explore the repo", "status": "done"},
		{"id": 7, "title": "Fix the bug", "status": "in_progress", "notes": "off-by-one in parse()"},
		{"title": "Run tests", "status": "todo"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	ttContains(t, res.Content, "updated with 3 item(s)")
	res, _ = run(`{"command": "view"}`)
	ttContains(t, res.Content, "# Task List (1/3 done)", "1. [x] Explore the repo (id: 1, done)", "2. [~] Fix the bug (id: 7, in_progress)", "   off-by-one in parse()", "3. [ ] Run tests (id: 3, todo)")
	tasks := tool.(*TaskTrackerTool).Tasks()
	if len(tasks) != 3 || tasks[1].ID != "7" || tasks[1].Notes != "off-by-one in parse()" {
		t.Fatalf("Tasks() = %+v", tasks)
	}
	// plan replaces the list; a bad plan leaves it alone.
	for _, bad := range []string{
		`{"command": "plan", "task_list": [{"title": "", "status": "todo"}]}`,
		`{"command": "plan", "task_list": [{"title": "x", "status": "blocked"}]}`,
		`{"command": "delete"}`,
		`{}`,
		`{"command": "plan", "task_list": "nope"}`,
	} {
		if _, err := run(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if len(tool.(*TaskTrackerTool).Tasks()) != 3 {
		t.Fatal("a rejected plan changed the list")
	}
	if _, err := run(`{"command": "plan", "task_list": [{"title": "Only one", "status": "completed"}]}`); err != nil {
		t.Fatal(err)
	}
	if got := tool.(*TaskTrackerTool).Tasks(); len(got) != 1 || got[0].Status != TaskDone {
		t.Fatalf("after replacing: %+v", got)
	}
	if _, sum := tool.(Describer).Describe(json.RawMessage(`{"command": "plan", "task_list": [{}, {}]}`)); sum != "plan 2 task(s)" {
		t.Fatalf("summary %q", sum)
	}
}
