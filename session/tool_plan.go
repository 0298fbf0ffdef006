package session

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/tether-dev/tether/llm"
)

// Task is one entry of the task_tracker's list.
type Task struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"` // "todo", "in_progress" or "done"
	Notes  string `json:"notes,omitempty"`
}

// Task statuses.
const (
	TaskTodo       = "todo"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
)

// TaskTrackerTool is the "task_tracker" tool of planning mode: the model
// keeps a task list for the session ("plan" replaces it, "view" shows it).
type TaskTrackerTool struct {
	mu    sync.Mutex
	tasks []Task
}

// NewTaskTrackerTool returns a "task_tracker" tool with an empty list.
func NewTaskTrackerTool() Tool { return &TaskTrackerTool{} }

const taskTrackerDescription = `This tool provides structured task management for development work: plan the work as a list of tasks, then keep the list up to date as you go.

## When to use it
- Complex tasks that need several distinct steps, or when the user gives several tasks at once.
- After receiving new instructions: capture the requirements as tasks.
- When starting a task, mark it in_progress (ideally only one at a time); when it is finished, mark it done right away.

## Commands
- "view": show the current task list.
- "plan": replace the whole task list with task_list. Send every task each time, including finished ones.

## Task fields
- title: a short, specific, actionable description.
- status: "todo", "in_progress" or "done". Only mark a task done when it is fully complete (tests pass, no errors left).
- notes: optional details, findings or blockers.`

const taskTrackerSchema = `{
  "type": "object",
  "properties": {
    "command": {"type": "string", "enum": ["view", "plan"], "description": "The command to execute. ` + "`view`" + ` shows the current task list. ` + "`plan`" + ` creates or replaces the task list with task_list."},
    "task_list": {
      "type": "array",
      "description": "The full task list. Required for the ` + "`plan`" + ` command.",
      "items": {
        "type": "object",
        "properties": {
          "id": {"type": "string", "description": "Optional identifier; assigned when omitted."},
          "title": {"type": "string", "description": "A brief description of the task."},
          "notes": {"type": "string", "description": "Additional details or notes about the task."},
          "status": {"type": "string", "enum": ["todo", "in_progress", "done"], "description": "The current status of the task."}
        },
        "required": ["title", "status"]
      }
    }
  },
  "required": ["command"]
}`

// Definition implements Tool.
func (t *TaskTrackerTool) Definition() llm.Tool {
	return llm.Tool{Name: ToolTaskTracker, Description: taskTrackerDescription, Parameters: json.RawMessage(taskTrackerSchema)}
}

type taskArg struct {
	ID     json.RawMessage `json:"id"` // a string or a number
	Title  string          `json:"title"`
	Status string          `json:"status"`
	Notes  string          `json:"notes"`
}

type taskTrackerArgs struct {
	Command  string    `json:"command"`
	TaskList []taskArg `json:"task_list"`
}

const taskExample = `{"command": "plan", "task_list": [{"title": "Write tests", "status": "todo"}]}`

// Run implements Tool.
func (t *TaskTrackerTool) Run(ctx context.Context, call ToolCall) (ToolResult, error) {
	var a taskTrackerArgs
	if err := decodeArgs(ToolTaskTracker, call.Args, &a, taskExample); err != nil {
		return ToolResult{}, err
	}
	switch a.Command {
	case "view":
		return ToolResult{Content: renderTasks(t.Tasks())}, nil
	case "plan":
		tasks, err := normalizeTasks(a.TaskList)
		if err != nil {
			return ToolResult{}, err
		}
		t.mu.Lock()
		t.tasks = tasks
		t.mu.Unlock()
		return ToolResult{Content: fmt.Sprintf("Task list has been updated with %d item(s).\n\n%s", len(tasks), renderTasks(tasks))}, nil
	case "":
		return ToolResult{}, fmt.Errorf(`task_tracker: "command" is required: use "view" or "plan", e.g. %s`, taskExample)
	default:
		return ToolResult{}, fmt.Errorf(`task_tracker: unknown command %q: use "view" or "plan"`, a.Command)
	}
}

func normalizeTasks(in []taskArg) ([]Task, error) {
	tasks := make([]Task, 0, len(in))
	for i, ta := range in {
		title := strings.TrimSpace(ta.Title)
		if title == "" {
			return nil, fmt.Errorf("task_tracker: task %d has no title: every task needs a non-empty \"title\"", i+1)
		}
		status := strings.ToLower(strings.TrimSpace(ta.Status))
		switch status {
		case "":
			status = TaskTodo
		case "in-progress", "inprogress", "in progress", "doing":
			status = TaskInProgress
		case "completed", "complete", "finished":
			status = TaskDone
		case TaskTodo, TaskInProgress, TaskDone:
		default:
			return nil, fmt.Errorf("task_tracker: task %d (%q) has status %q: use \"todo\", \"in_progress\" or \"done\"", i+1, title, ta.Status)
		}
		id := strings.Trim(strings.TrimSpace(string(ta.ID)), `"`)
		if id == "" || id == "null" {
			id = strconv.Itoa(i + 1)
		}
		tasks = append(tasks, Task{ID: id, Title: title, Status: status, Notes: strings.TrimSpace(ta.Notes)})
	}
	return tasks, nil
}

// Tasks returns a copy of the current task list (for display).
func (t *TaskTrackerTool) Tasks() []Task {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Task(nil), t.tasks...)
}

func renderTasks(tasks []Task) string {
	if len(tasks) == 0 {
		return `No task list yet. Use the "plan" command to create one.`
	}
	var b strings.Builder
	done := 0
	for _, t := range tasks {
		if t.Status == TaskDone {
			done++
		}
	}
	fmt.Fprintf(&b, "# Task List (%d/%d done)\n\n", done, len(tasks))
	for i, t := range tasks {
		box := "[ ]"
		switch t.Status {
		case TaskInProgress:
			box = "[~]"
		case TaskDone:
			box = "[x]"
		}
		fmt.Fprintf(&b, "%d. %s %s (id: %s, %s)\n", i+1, box, t.Title, t.ID, t.Status)
		if t.Notes != "" {
			for _, l := range strings.Split(t.Notes, "\n") {
				fmt.Fprintf(&b, "   %s\n", l)
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// Describe implements Describer.
func (t *TaskTrackerTool) Describe(args json.RawMessage) (command, summary string) {
	var a taskTrackerArgs
	if json.Unmarshal(args, &a) != nil || a.Command == "" {
		return "", "task_tracker"
	}
	if a.Command == "plan" {
		return "", fmt.Sprintf("plan %d task(s)", len(a.TaskList))
	}
	return "", "view tasks"
}
