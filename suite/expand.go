package suite

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Expand returns the runnable cases: for each [[case]] in file order, each
// variant in order, each model in order, runs 1..N. IDs are stable across
// runs of the same file: name, "/variant" when the case has variants,
// "[model]" when a model is named, "#run" when runs > 1, e.g.
// "hello/loud[gpt-4o-mini]#2".
func (s *Suite) Expand() []Case {
	var out []Case
	for _, def := range s.defs {
		vs, err := expandDef(def)
		if err != nil {
			// Load already expanded every case without error; a Suite
			// not built by Load has nothing valid to run.
			continue
		}
		for _, v := range vs {
			for _, model := range def.Models {
				for run := 1; run <= def.Runs; run++ {
					out = append(out, Case{
						ID:        caseID(def.Name, v.name, model, run, def.Runs),
						Name:      def.Name,
						Variant:   v.name,
						Model:     model,
						Run:       run,
						Runs:      def.Runs,
						Prompt:    v.prompt,
						Followups: v.followups,
						Planning:  def.Planning,
						Sandbox:   def.Sandbox,
						Limits:    def.Limits,
						Setup:     v.setup,
						Checks:    v.checks,
						MCP:       def.MCP,
						Line:      def.Line,
					})
				}
			}
		}
	}
	return out
}

func caseID(name, variant, model string, run, runs int) string {
	id := name
	if variant != "" {
		id += "/" + variant
	}
	if model != "" {
		id += "[" + model + "]"
	}
	if runs > 1 {
		id += "#" + strconv.Itoa(run)
	}
	return id
}

// expansion is one variant of a case with its variables substituted.
type expansion struct {
	name      string
	prompt    string
	followups []string
	setup     Setup
	checks    []Check
}

// varRef matches {{name}} (spaces inside the braces allowed).
var varRef = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

func (p *parser) expandDef(def caseDef, at string) ([]expansion, error) {
	vs, err := expandDef(def)
	if err != nil {
		return nil, p.errAt(at, "%v", err)
	}
	return vs, nil
}

// expandDef substitutes variables for each variant (or once, for a case
// without variants) and compiles the file checks' regexps.
func expandDef(def caseDef) ([]expansion, error) {
	variants := def.Variants
	if len(variants) == 0 {
		variants = []variantDef{{}}
	}
	out := make([]expansion, 0, len(variants))
	for _, v := range variants {
		vars := merged(def.Vars, v.Vars)
		sub := substituter{vars: vars, active: len(vars) > 0}
		prompt := def.Prompt
		if v.Prompt != "" {
			prompt = v.Prompt
		}
		e := expansion{name: v.Name, prompt: sub.apply(prompt), setup: def.Setup}
		for _, f := range def.Followups {
			e.followups = append(e.followups, sub.apply(f))
		}
		e.setup.Commands = nil
		for _, c := range def.Setup.Commands {
			e.setup.Commands = append(e.setup.Commands, sub.apply(c))
		}
		for _, c := range def.Checks {
			c.Command, c.File = sub.apply(c.Command), sub.apply(c.File)
			c.Contains, c.Matches = sub.apply(c.Contains), sub.apply(c.Matches)
			if c.Matches != "" {
				re, err := regexp.Compile(c.Matches)
				if err != nil {
					return nil, fmt.Errorf("check matches %q is not a valid regular expression: %v", c.Matches, err)
				}
				c.re = re
			}
			if c.Name == "" {
				c.Name = c.describe()
			}
			e.checks = append(e.checks, c)
		}
		if len(sub.missing) > 0 {
			where := "case " + def.Name
			if v.Name != "" {
				where += " variant " + v.Name
			}
			return nil, fmt.Errorf("%s uses {{%s}} but defines no such variable: add it to vars",
				where, strings.Join(slices.Sorted(maps.Keys(sub.missing)), "}}, {{"))
		}
		out = append(out, e)
	}
	return out, nil
}

// substituter replaces {{name}} with the variable's value. When the case
// defines no variables at all, text is left untouched, so prompts that
// talk about {{templates}} need no escaping; when it does, an undefined
// name is an error (most likely a typo).
type substituter struct {
	vars    map[string]string
	active  bool
	missing map[string]bool
}

func (s *substituter) apply(text string) string {
	if !s.active || !strings.Contains(text, "{{") {
		return text
	}
	return varRef.ReplaceAllStringFunc(text, func(m string) string {
		name := varRef.FindStringSubmatch(m)[1]
		v, ok := s.vars[name]
		if !ok {
			if s.missing == nil {
				s.missing = map[string]bool{}
			}
			s.missing[name] = true
			return m
		}
		return v
	})
}
