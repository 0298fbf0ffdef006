package suite

import (
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/tether-dev/tether/mcp"
)

// Suite is a loaded suite file: its cases with [defaults] already merged
// in. Expand turns it into the runnable list.
type Suite struct {
	Name string // from `name`, else the file name without extension
	Path string // the file it was loaded from

	matrix matrix
	defs   []caseDef
	starts []int // starts[k]: index of defs[k]'s first case
	total  int   // cases in all; at most the case limit

	lastMu sync.Mutex
	last   lastVariant // the variant Case expanded last
}

// lastVariant is one expanded variant of defs[def].
type lastVariant struct {
	def, variant int
	e            expansion
	ok           bool
}

// Case is one runnable, fully expanded case: one prompt (variant), one
// model, one repetition.
type Case struct {
	ID      string // e.g. "hello/loud[gpt-4o-mini]#2"; unique in the suite
	Name    string // the [[case]] name
	Variant string // the variant name, "" when the case has none
	Model   string // "" = RunOptions.DefaultModel
	Run     int    // 1-based repetition number
	Runs    int    // how many repetitions of this case/variant/model

	Prompt    string
	Followups []string // sent one after the other once the previous run finished
	Planning  bool

	Sandbox SandboxSpec
	Limits  Limits
	Setup   Setup
	Checks  []Check
	// MCP are the servers whose tools this case's agent gets on top of
	// RunOptions.ToolSources ([defaults] ones first, then the case's; a
	// case's server replaces a default one of the same name). In-sandbox
	// ones start in the case's own sandbox.
	MCP []mcp.Server

	Line int // line of the [[case]] header in the suite file
}

// SandboxSpec is the sandbox a case asks for.
type SandboxSpec struct {
	Provider string            `json:"provider,omitempty"` // "" = the caller's default
	Image    string            `json:"image,omitempty"`
	Snapshot string            `json:"snapshot,omitempty"`
	Target   string            `json:"target,omitempty"`
	CPU      int               `json:"cpu,omitempty"`
	MemoryGB int               `json:"memory_gb,omitempty"`
	DiskGB   int               `json:"disk_gb,omitempty"`
	Network  string            `json:"network,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Env      map[string]string `json:"env,omitempty"`
}

// Limits bound the agent's run.
type Limits struct {
	MaxIterations int           // 0 = the session default
	BudgetUSD     float64       // 0 = unlimited
	Timeout       time.Duration // 0 = none (the agent run only, not setup or checks)
}

// Setup prepares the sandbox before the agent starts. A failing step fails
// the case without running the agent.
type Setup struct {
	Repo     string // cloned first
	Branch   string
	Commit   string
	Dir      string // clone destination; "" = the repository's name
	Files    []File
	Commands []string // run in order in the work dir; each must exit 0
	Timeout  time.Duration
}

// File is a file uploaded during setup.
type File struct {
	Path    string
	Content []byte
}

// Check kinds.
const (
	CheckCommand = "command"
	CheckFile    = "file"
	CheckStatus  = "status"
)

// Check is one assertion about what the agent left behind.
type Check struct {
	Kind     string // CheckCommand, CheckFile or CheckStatus
	Name     string // display name; generated when the file gives none
	Command  string // CheckCommand: must exit 0
	File     string // CheckFile: must exist
	Contains string // CheckFile: substring the content must contain
	Matches  string // CheckFile: regexp the content must match
	Status   string // CheckStatus: expected final session state
	Timeout  time.Duration

	re *regexp.Regexp
}

// describe names a check for reports when the file gives no name.
func (c Check) describe() string {
	switch c.Kind {
	case CheckCommand:
		return "command: " + oneLine(c.Command, 60)
	case CheckFile:
		s := "file " + c.File
		if c.Contains != "" {
			s += fmt.Sprintf(" contains %q", oneLine(c.Contains, 30))
		}
		if c.Matches != "" {
			s += fmt.Sprintf(" matches /%s/", oneLine(c.Matches, 30))
		}
		return s
	case CheckStatus:
		return "status " + c.Status
	}
	return c.Kind
}

// Defaults applied when neither the case nor [defaults] says otherwise.
const (
	DefaultConcurrency    = 4
	DefaultSetupTimeout   = 10 * time.Minute
	DefaultCheckTimeout   = 2 * time.Minute
	defaultExpectedStatus = "finished"
	maxUploadBytes        = 10 << 20
	maxSuiteUploadBytes   = 256 << 20 // all distinct files a suite reads
	maxRuns               = 1000
	// DefaultMaxCases bounds a suite's expanded case count unless the
	// file ([matrix] max_cases) or LoadOptions.MaxCases says otherwise.
	DefaultMaxCases = 100_000
)

// matrix is the [matrix] table.
type matrix struct {
	Models   []string
	Runs     int
	MaxCases int // 0 = DefaultMaxCases
}

// caseDef is one [[case]] with [defaults] merged, before expansion.
type caseDef struct {
	Name      string
	Line      int
	Prompt    string
	Followups []string
	Models    []string // from the case, else [matrix], else {model}
	Runs      int
	Planning  bool
	Vars      map[string]string
	Variants  []variantDef
	Sandbox   SandboxSpec
	Limits    Limits
	Setup     Setup
	Checks    []Check
	MCP       []mcp.Server
}

type variantDef struct {
	Name   string
	Prompt string // "" = the case's prompt
	Vars   map[string]string
	Line   int
}
