package suite

import (
	"fmt"
	"strconv"
	"time"

	"github.com/BurntSushi/toml"
)

// The structs below mirror the suite file; examples/suite.toml documents
// every key. Pointers mark settings whose zero value is meaningful, so a
// case can override a [defaults] value with 0 or false.

type fileSuite struct {
	Name     string           `toml:"name"`
	Defaults fileCommon       `toml:"defaults"`
	Matrix   fileMatrix       `toml:"matrix"`
	Cases    []toml.Primitive `toml:"case"`
}

type fileMatrix struct {
	Models   []string `toml:"models"`
	Runs     *int     `toml:"runs"`
	MaxCases *int     `toml:"max_cases"`
}

// fileCommon is what both [defaults] and a [[case]] may set.
type fileCommon struct {
	Model    string            `toml:"model"`
	Planning *bool             `toml:"planning"`
	Vars     map[string]string `toml:"vars"`
	Sandbox  fileSandbox       `toml:"sandbox"`
	Limits   fileLimits        `toml:"limits"`
	Setup    fileSetup         `toml:"setup"`
	Checks   []fileCheck       `toml:"checks"`
	MCP      []fileMCP         `toml:"mcp"`
}

type fileCase struct {
	Name       string        `toml:"name"`
	Prompt     string        `toml:"prompt"`
	PromptFile string        `toml:"prompt_file"`
	Followups  []string      `toml:"followups"`
	Models     []string      `toml:"models"`
	Runs       *int          `toml:"runs"`
	Variants   []fileVariant `toml:"variants"`

	fileCommon // its keys sit beside the case's own, as in [defaults]
}

type fileVariant struct {
	Name       string            `toml:"name"`
	Prompt     string            `toml:"prompt"`
	PromptFile string            `toml:"prompt_file"`
	Vars       map[string]string `toml:"vars"`
}

type fileSandbox struct {
	Provider string            `toml:"provider"`
	Image    string            `toml:"image"`
	Snapshot string            `toml:"snapshot"`
	Target   string            `toml:"target"`
	CPU      int               `toml:"cpu"`
	MemoryGB int               `toml:"memory_gb"`
	DiskGB   int               `toml:"disk_gb"`
	Network  string            `toml:"network"`
	Labels   map[string]string `toml:"labels"`
	Env      map[string]string `toml:"env"`
}

type fileLimits struct {
	MaxIterations *int      `toml:"max_iterations"`
	BudgetUSD     *float64  `toml:"budget_usd"`
	Timeout       *duration `toml:"timeout"`
}

type fileSetup struct {
	Repo     string     `toml:"repo"`
	Branch   string     `toml:"branch"`
	Commit   string     `toml:"commit"`
	Dir      string     `toml:"dir"`
	Files    []fileFile `toml:"files"`
	Commands []string   `toml:"commands"`
	Timeout  *duration  `toml:"timeout"`
}

type fileFile struct {
	Path    string  `toml:"path"`
	Content *string `toml:"content"`
	From    string  `toml:"from"`
}

type fileCheck struct {
	Name     string    `toml:"name"`
	Command  string    `toml:"command"`
	File     string    `toml:"file"`
	Contains string    `toml:"contains"`
	Matches  string    `toml:"matches"`
	Status   string    `toml:"status"`
	Timeout  *duration `toml:"timeout"`
}

// fileMCP is a [[defaults.mcp]] or [[case.mcp]] entry: the config's
// [[mcp]] keys, for one suite or one case.
type fileMCP struct {
	Name         string            `toml:"name"`
	Where        string            `toml:"where"`
	Command      string            `toml:"command"`
	Args         []string          `toml:"args"`
	Env          map[string]string `toml:"env"`
	URL          string            `toml:"url"`
	CallTimeout  *duration         `toml:"call_timeout"`
	StartTimeout *duration         `toml:"start_timeout"`
}

// duration is a time.Duration written "90s", "5m", "1h30m" (or bare
// seconds) in the suite file.
type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	s := string(b)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		*d = duration(time.Duration(n) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration: write it like \"90s\", \"5m\" or \"1h30m\"", s)
	}
	if v < 0 {
		return fmt.Errorf("%q: a duration must not be negative", s)
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func durOr(p *duration, def time.Duration) time.Duration {
	if p == nil {
		return def
	}
	return time.Duration(*p)
}
