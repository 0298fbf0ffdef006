package suite

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeSuite writes a suite file (and optional side files) into a temp dir.
func writeSuite(t testing.TB, content string, side map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range side {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "s.toml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const twoCases = `
[[case]]
name = "a"
prompt = "do a"

[[case]]
name = "b"
prompt = "do b"
`

func TestLoadErrorsNameFileLineAndKey(t *testing.T) {
	tests := []struct {
		name    string
		suite   string
		line    int
		wants   []string
		sidecar map[string]string
	}{
		{"syntax", "[[case]]\nname = \"a\"\nprompt = \"x\n", 3, []string{"syntax"}, nil},
		{"unknown top-level key", "nmae = \"x\"\n" + twoCases, 1, []string{`unknown key "nmae"`}, nil},
		{"unknown key in second case", twoCases + "promt = \"typo\"\n", 9, []string{"case[1].promt", `unknown key "promt"`}, nil},
		{"unknown key in a check", `
[[case]]
name = "a"
prompt = "x"
[[case.checks]]
file = "f"
[[case.checks]]
file = "g"
contians = "y"
`, 9, []string{"case[0].checks[1].contians"}, nil},
		{"wrong type in second case", twoCases + "runs = \"three\"\n", 9, []string{"case[1].runs", "incompatible types"}, nil},
		{"runs zero", twoCases + "runs = 0\n", 9, []string{"case[1].runs", "between 1 and"}, nil},
		{"matrix runs", "[matrix]\nruns = -2\n" + twoCases, 2, []string{"matrix.runs"}, nil},
		{"bad duration", `
[[case]]
name = "a"
prompt = "x"
[case.limits]
timeout = "ten minutes"
`, 6, []string{"case[0].limits.timeout", "not a duration"}, nil},
		{"negative budget", "[defaults.limits]\nbudget_usd = -1.0\n" + twoCases, 2, []string{"defaults.limits.budget_usd", "negative"}, nil},
		{"check with two kinds", `
[[case]]
name = "a"
prompt = "x"
[[case.checks]]
command = "true"
file = "f"
`, 5, []string{"case[0].checks[0]", "exactly one of"}, nil},
		{"bad regexp", `
[[case]]
name = "a"
prompt = "x"
[[case.checks]]
file = "f"
matches = "(unclosed"
`, 2, []string{"case[0]", "regular expression"}, nil},
		{"bad status", `
[[case]]
name = "a"
prompt = "x"
[[case.checks]]
status = "done"
`, 6, []string{"case[0].checks[0].status", "not a final state"}, nil},
		{"undefined variable", `
[[case]]
name = "a"
prompt = "say {{greting}}"
vars = { greeting = "hi" }
`, 2, []string{"case[0]", "{{greting}}"}, nil},
		{"missing prompt_file", `
[[case]]
name = "a"
prompt_file = "nope.md"
`, 4, []string{"case[0].prompt_file", "nope.md"}, nil},
		{"duplicate name", "[[case]]\nname = \"a\"\nprompt = \"x\"\n[[case]]\nname = \"a\"\nprompt = \"y\"\n", 5, []string{"case[1].name", "used twice"}, nil},
		{"bad name", "[[case]]\nname = \"a b[c]\"\nprompt = \"x\"\n", 2, []string{"case[0].name"}, nil},
		{"no prompt", "[[case]]\nname = \"a\"\n", 1, []string{"case[0]", "needs a prompt"}, nil},
		{"network", twoCases + "[case.sandbox]\nnetwork = \"maybe\"\n", 10, []string{"case[1].sandbox.network"}, nil},
		{"file content and from", `
[[case]]
name = "a"
prompt = "x"
[case.setup]
files = [{ path = "p", content = "c", from = "f" }]
`, 6, []string{"case[0].setup.files[0]", "exactly one of content or from"}, nil},
		{"unknown key in inline table", `
[[case]]
name = "a"
prompt = "x"
[case.setup]
files = [{ path = "p", contnt = "c" }]
`, 6, []string{`unknown key "contnt"`}, nil},
		{"no cases", "name = \"s\"\n", 0, []string{"no cases"}, nil},
		{"variant without name", `
[[case]]
name = "a"
prompt = "x"
[[case.variants]]
prompt = "y"
`, 5, []string{"case[0].variants[0]", "needs a name"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSuite(t, tt.suite, tt.sidecar)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			msg := err.Error()
			prefix := path + ":"
			if tt.line > 0 {
				prefix = path + ":" + strconv.Itoa(tt.line) + ":"
			}
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q\ndoes not start with %q", msg, prefix)
			}
			for _, w := range tt.wants {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\ndoes not mention %q", msg, w)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if err == nil || !strings.Contains(err.Error(), "none.toml") {
		t.Fatalf("err = %v; want it to name the file", err)
	}
}

func TestLoadPromptFileAndFromAreRelativeToTheSuite(t *testing.T) {
	path := writeSuite(t, `
[[case]]
name = "a"
prompt_file = "prompts/a.md"
[case.setup]
files = [{ path = "in/data.txt", from = "fixtures/data.txt" }]
`, map[string]string{"prompts/a.md": "the prompt\n", "fixtures/data.txt": "payload"})
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c := slices.Collect(s.Cases())[0]
	if c.Prompt != "the prompt\n" {
		t.Errorf("prompt = %q", c.Prompt)
	}
	if len(c.Setup.Files) != 1 || string(c.Setup.Files[0].Content) != "payload" || c.Setup.Files[0].Path != "in/data.txt" {
		t.Errorf("files = %+v", c.Setup.Files)
	}
}
