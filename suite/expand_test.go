package suite

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExpandMatrix(t *testing.T) {
	path := writeSuite(t, `
name = "m"
[defaults]
model = "fallback"
[defaults.sandbox]
provider = "local"
labels = { team = "a", shared = "default" }
env = { A = "1" }
[defaults.limits]
max_iterations = 7
timeout = "90s"
[[defaults.checks]]
command = "true"

[matrix]
models = ["m1", "m2"]
runs = 2

[[case]]
name = "greet"
prompt = "say {{word}} to {{who}}"
vars = { who = "you", word = "hi" }
[case.sandbox]
labels = { shared = "case" }
[case.limits]
max_iterations = 0
[[case.variants]]
name = "loud"
vars = { word = "HI" }
[[case.variants]]
name = "other"
prompt = "wave at {{who}}"
[[case.checks]]
file = "{{who}}.txt"
contains = "{{word}}"
[[case.checks]]
status = "stuck"

[[case]]
name = "pinned"
model = "solo"
runs = 1
prompt = "a {{literal}} template"

[[case]]
name = "own-list"
models = ["x", "y"]
prompt = "p"
`, nil)
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := slices.Collect(s.Cases())
	var ids []string
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	want := []string{
		"greet/loud[m1]#1", "greet/loud[m1]#2", "greet/loud[m2]#1", "greet/loud[m2]#2",
		"greet/other[m1]#1", "greet/other[m1]#2", "greet/other[m2]#1", "greet/other[m2]#2",
		"pinned[solo]",
		"own-list[x]#1", "own-list[x]#2", "own-list[y]#1", "own-list[y]#2",
	}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids:\n%q\nwant:\n%q", ids, want)
	}
	if again := slices.Collect(s.Cases()); !reflect.DeepEqual(again, cases) {
		t.Error("Expand is not stable")
	}

	loud := cases[0]
	if loud.Prompt != "say HI to you" || loud.Variant != "loud" || loud.Model != "m1" || loud.Run != 1 || loud.Runs != 2 {
		t.Errorf("loud = %+v", loud)
	}
	if other := cases[4]; other.Prompt != "wave at you" {
		t.Errorf("other prompt = %q", other.Prompt)
	}
	if got := cases[8].Prompt; got != "a {{literal}} template" {
		t.Errorf("a case without vars must be left alone, got %q", got)
	}
	if loud.Sandbox.Provider != "local" || loud.Sandbox.Labels["team"] != "a" || loud.Sandbox.Labels["shared"] != "case" || loud.Sandbox.Env["A"] != "1" {
		t.Errorf("sandbox = %+v", loud.Sandbox)
	}
	if loud.Limits.MaxIterations != 0 || loud.Limits.Timeout != 90*time.Second {
		t.Errorf("limits = %+v (a case's explicit 0 must override the default)", loud.Limits)
	}
	if cases[8].Limits.MaxIterations != 7 {
		t.Errorf("default max_iterations not applied: %+v", cases[8].Limits)
	}
	// status first (the case's), then the defaults' checks, then the case's.
	kinds := []string{}
	for _, c := range loud.Checks {
		kinds = append(kinds, c.Kind)
	}
	if !reflect.DeepEqual(kinds, []string{CheckStatus, CheckCommand, CheckFile}) {
		t.Fatalf("checks = %q", kinds)
	}
	if loud.Checks[0].Status != "stuck" || loud.Checks[2].File != "you.txt" || loud.Checks[2].Contains != "HI" {
		t.Errorf("checks = %+v", loud.Checks)
	}
	if st := cases[8].Checks[0]; st.Kind != CheckStatus || st.Status != "finished" {
		t.Errorf("default status check = %+v", st)
	}
	if loud.Checks[1].Timeout != DefaultCheckTimeout || loud.Checks[1].Name == "" {
		t.Errorf("check defaults = %+v", loud.Checks[1])
	}
}

func TestExpandWithoutModels(t *testing.T) {
	path := writeSuite(t, "[[case]]\nname = \"a\"\nprompt = \"p\"\n", nil)
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := slices.Collect(s.Cases())
	if len(cases) != 1 || cases[0].ID != "a" || cases[0].Model != "" || s.Name != "s" {
		t.Fatalf("cases = %+v, name %q", cases, s.Name)
	}
}

// FuzzParse: any input either loads or fails with an error naming the
// file; it never panics.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*.toml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(twoCases))
	f.Add([]byte("[[case]]\nname='a'\nprompt='''\nx\n'''\n[[case.checks]]\nfile='f'\nmatches='['\n"))
	f.Add([]byte("[[case.variants]]\n[[case]]\n[case.setup]\nfiles=[{path='x',from='/dev/null'}]"))
	f.Add([]byte("a.b.c = [\n [1,\n 2], {x=1}\n]\n[\"q.x\".y]\nz=1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz-suite.toml"
		s, err := parse(name, data, LoadOptions{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, c := range slices.Collect(s.Cases()) {
			if c.ID == "" {
				t.Fatal("empty case id")
			}
		}
	})
}

func TestSuiteNameFromAnAwkwardFileName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "my evals (v2).toml")
	if err := os.WriteFile(path, []byte("[[case]]\nname = \"a\"\nprompt = \"p\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "my_evals_v2" {
		t.Errorf("name = %q", s.Name)
	}
}
