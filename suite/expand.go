package suite

import (
	"fmt"
	"iter"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Len is how many runnable cases the suite has: for each [[case]], its
// variants × models × runs. Load refuses a suite over its case limit
// (LoadOptions.MaxCases), so Len is at most that.
func (s *Suite) Len() int { return s.total }

// Cases yields the runnable cases: for each [[case]] in file order, each
// variant in order, each model in order, runs 1..N. Each case is built
// when it is reached and not kept, so a large matrix is never held in
// memory. IDs are stable across runs of the same file: name, "/variant"
// when the case has variants, "[model]" when a model is named, "#run" when
// runs > 1, e.g. "hello/loud[gpt-4o-mini]#2".
func (s *Suite) Cases() iter.Seq[Case] {
	return func(yield func(Case) bool) {
		for i := range s.total {
			c, _ := s.Case(i)
			if !yield(c) {
				return
			}
		}
	}
}

// Case returns the i-th case in Cases order (0 <= i < Len), built on
// demand; false when i is out of range.
func (s *Suite) Case(i int) (Case, bool) {
	if i < 0 || i >= s.total {
		return Case{}, false
	}
	// s.starts[k] is the index of the first case of s.defs[k].
	k := sort.Search(len(s.starts), func(k int) bool { return s.starts[k] > i }) - 1
	def := s.defs[k]
	j := i - s.starts[k]
	perVariant := len(def.Models) * def.Runs
	vi, rest := j/perVariant, j%perVariant
	model, run := def.Models[rest/def.Runs], rest%def.Runs+1
	variant := variantDef{}
	if len(def.Variants) > 0 {
		variant = def.Variants[vi]
	}
	v, err := s.variant(k, vi, def, variant)
	if err != nil {
		// Load already expanded every variant without error; a Suite
		// not built by Load has nothing valid to run.
		return Case{}, false
	}
	return Case{
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
	}, true
}

// variant expands one variant, keeping the last one: Cases reaches each
// variant models × runs times in a row, and Run's workers take cases in
// order, so the cache holds while memory stays one variant.
func (s *Suite) variant(k, vi int, def caseDef, v variantDef) (expansion, error) {
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	if s.last.ok && s.last.def == k && s.last.variant == vi {
		return s.last.e, nil
	}
	e, err := expandVariant(def, v)
	if err == nil {
		s.last = lastVariant{def: k, variant: vi, e: e, ok: true}
	}
	return e, err
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

// checkVariants substitutes every variant of def once, one at a time, so
// bad variables and regexps are load errors and Case cannot fail.
func (p *parser) checkVariants(def caseDef, at string) error {
	variants := def.Variants
	if len(variants) == 0 {
		variants = []variantDef{{}}
	}
	for _, v := range variants {
		if _, err := expandVariant(def, v); err != nil {
			return p.errAt(at, "%v", err)
		}
	}
	return nil
}

// expandVariant substitutes variables for one variant (the zero variantDef
// for a case without variants) and compiles the file checks' regexps.
func expandVariant(def caseDef, v variantDef) (expansion, error) {
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
				return e, fmt.Errorf("check matches %q is not a valid regular expression: %v", c.Matches, err)
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
		return e, fmt.Errorf("%s uses {{%s}} but defines no such variable: add it to vars",
			where, strings.Join(slices.Sorted(maps.Keys(sub.missing)), "}}, {{"))
	}
	return e, nil
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
