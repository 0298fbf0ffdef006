package suite

import (
	"maps"
	"regexp"
	"strconv"
	"strings"

	"github.com/tether-dev/tether/session"
)

var varNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkCommon validates the settings [defaults] and [[case]] share.
func (p *parser) checkCommon(c fileCommon, at string) error {
	if c.Model != "" {
		if _, err := p.models([]string{c.Model}, at+".model"); err != nil {
			return err
		}
	}
	for name := range c.Vars {
		if !varNameRe.MatchString(name) {
			return p.errAt(at+".vars", "variable name %q is not valid: use letters, digits and '_'", name)
		}
	}
	sb := c.Sandbox
	switch sb.Network {
	case "", "on", "off":
	default:
		return p.errAt(at+".sandbox.network", "network %q is not valid: use \"on\" or \"off\"", sb.Network)
	}
	for key, v := range map[string]int{"cpu": sb.CPU, "memory_gb": sb.MemoryGB, "disk_gb": sb.DiskGB} {
		if v < 0 {
			return p.errAt(at+".sandbox."+key, "%s must not be negative (got %d)", key, v)
		}
	}
	if l := c.Limits; l.MaxIterations != nil && *l.MaxIterations < 0 {
		return p.errAt(at+".limits.max_iterations", "max_iterations must not be negative (got %d)", *l.MaxIterations)
	}
	if l := c.Limits; l.BudgetUSD != nil && *l.BudgetUSD < 0 {
		return p.errAt(at+".limits.budget_usd", "budget_usd must not be negative (got %g)", *l.BudgetUSD)
	}
	su := c.Setup
	if strings.HasPrefix(su.Branch, "-") || strings.HasPrefix(su.Commit, "-") {
		return p.errAt(at+".setup", "branch and commit must not start with '-'")
	}
	if (su.Branch != "" || su.Commit != "" || su.Dir != "") && su.Repo == "" {
		return p.errAt(at+".setup", "branch, commit and dir need a repo to clone: set repo")
	}
	for i, f := range su.Files {
		fat := at + ".setup.files[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(f.Path) == "" {
			return p.errAt(fat, "a file to upload needs a path")
		}
		if (f.Content == nil) == (f.From == "") {
			return p.errAt(fat, "give exactly one of content or from for %s", f.Path)
		}
	}
	for i, cmd := range su.Commands {
		if strings.TrimSpace(cmd) == "" {
			return p.errAt(at+".setup.commands", "command %d is empty", i+1)
		}
	}
	for i, ch := range c.Checks {
		if err := p.checkCheck(ch, at+".checks["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	return p.checkMCP(c.MCP, at)
}

func (p *parser) checkCheck(ch fileCheck, at string) error {
	kinds := 0
	for _, s := range []string{ch.Command, ch.File, ch.Status} {
		if s != "" {
			kinds++
		}
	}
	if kinds != 1 {
		return p.errAt(at, "a check needs exactly one of command, file or status")
	}
	if ch.File == "" && (ch.Contains != "" || ch.Matches != "") {
		return p.errAt(at, "contains and matches go with file = \"...\"")
	}
	if ch.Status != "" {
		if st := session.State(ch.Status); !st.Terminal() {
			return p.errAt(at+".status", "status %q is not a final state: use finished, error, stuck or cancelled", ch.Status)
		}
	}
	return nil
}

// caseDef validates one [[case]] and merges [defaults] and [matrix] in.
func (p *parser) caseDef(fc fileCase, d fileCommon, m matrix, at string) (caseDef, error) {
	def := caseDef{Name: fc.Name, Line: p.loc.Line(at), Followups: fc.Followups}
	if fc.Name == "" {
		return def, p.errAt(at, "a case needs a name")
	}
	if !validName(fc.Name) {
		return def, p.errAt(at+".name", "case name %q is not valid: use letters, digits, '-', '_' and '.' (at most 100)", fc.Name)
	}
	if err := p.checkCommon(fc.fileCommon, at); err != nil {
		return def, err
	}
	prompt, err := p.prompt(fc.Prompt, fc.PromptFile, at)
	if err != nil {
		return def, err
	}
	def.Prompt = prompt
	for i, f := range fc.Followups {
		if strings.TrimSpace(f) == "" {
			return def, p.errAt(at+".followups", "follow-up %d is empty", i+1)
		}
	}
	seen := map[string]bool{}
	for i, fv := range fc.Variants {
		vat := at + ".variants[" + strconv.Itoa(i) + "]"
		if !validName(fv.Name) {
			return def, p.errAt(vat, "a variant needs a name of letters, digits, '-', '_' and '.' (got %q)", fv.Name)
		}
		if seen[fv.Name] {
			return def, p.errAt(vat+".name", "variant %q is used twice in case %q", fv.Name, fc.Name)
		}
		seen[fv.Name] = true
		vp, err := p.prompt(fv.Prompt, fv.PromptFile, vat)
		if err != nil {
			return def, err
		}
		for name := range fv.Vars {
			if !varNameRe.MatchString(name) {
				return def, p.errAt(vat+".vars", "variable name %q is not valid: use letters, digits and '_'", name)
			}
		}
		if vp == "" && def.Prompt == "" {
			return def, p.errAt(vat, "variant %q has no prompt and case %q has none to share", fv.Name, fc.Name)
		}
		def.Variants = append(def.Variants, variantDef{Name: fv.Name, Prompt: vp, Vars: fv.Vars, Line: p.loc.Line(vat)})
	}
	if def.Prompt == "" && len(def.Variants) == 0 {
		return def, p.errAt(at, "case %q needs a prompt (or prompt_file)", fc.Name)
	}
	if def.Models, err = p.models(fc.Models, at+".models"); err != nil {
		return def, err
	}
	switch {
	case len(def.Models) > 0:
	case fc.Model != "":
		def.Models = []string{fc.Model}
	case len(m.Models) > 0:
		def.Models = m.Models
	default:
		def.Models = []string{d.Model}
	}
	def.Runs = m.Runs
	if fc.Runs != nil {
		if *fc.Runs < 1 || *fc.Runs > maxRuns {
			return def, p.errAt(at+".runs", "runs must be between 1 and %d (got %d)", maxRuns, *fc.Runs)
		}
		def.Runs = *fc.Runs
	}
	def.Planning = boolOr(fc.Planning, boolOr(d.Planning, false))
	def.Vars = merged(d.Vars, fc.Vars)
	def.Sandbox = mergeSandbox(d.Sandbox, fc.Sandbox)
	def.Limits = Limits{
		MaxIterations: intOr(fc.Limits.MaxIterations, intOr(d.Limits.MaxIterations, 0)),
		BudgetUSD:     floatOr(fc.Limits.BudgetUSD, floatOr(d.Limits.BudgetUSD, 0)),
		Timeout:       durOr(fc.Limits.Timeout, durOr(d.Limits.Timeout, 0)),
	}
	if def.Setup, err = p.setup(d.Setup, fc.Setup, at); err != nil {
		return def, err
	}
	def.Checks = mergeChecks(convertChecks(d.Checks), convertChecks(fc.Checks))
	def.MCP = mergeMCP(convertMCP(d.MCP), convertMCP(fc.MCP))
	return def, nil
}

// prompt returns the inline prompt or the content of prompt_file.
func (p *parser) prompt(inline, file, at string) (string, error) {
	if inline != "" && file != "" {
		return "", p.errAt(at+".prompt_file", "give prompt or prompt_file, not both")
	}
	if file == "" {
		if inline != "" && strings.TrimSpace(inline) == "" {
			return "", p.errAt(at+".prompt", "the prompt is blank")
		}
		return inline, nil
	}
	data, err := p.readRel(file, at+".prompt_file")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", p.errAt(at+".prompt_file", "%s is empty", file)
	}
	return string(data), nil
}

// setup merges the default setup (first) with the case's: the case's repo
// replaces the default's; files and commands add up.
func (p *parser) setup(d, c fileSetup, at string) (Setup, error) {
	s := Setup{Repo: d.Repo, Branch: d.Branch, Commit: d.Commit, Dir: d.Dir,
		Commands: append(append([]string(nil), d.Commands...), c.Commands...),
		Timeout:  durOr(c.Timeout, durOr(d.Timeout, DefaultSetupTimeout))}
	if c.Repo != "" {
		s.Repo, s.Branch, s.Commit, s.Dir = c.Repo, c.Branch, c.Commit, c.Dir
	}
	add := func(files []fileFile, fat string) error {
		for i, f := range files {
			content := []byte(nil)
			if f.Content != nil {
				content = []byte(*f.Content)
			} else {
				data, err := p.readRel(f.From, fat+".files["+strconv.Itoa(i)+"].from")
				if err != nil {
					return err
				}
				content = data
			}
			s.Files = append(s.Files, File{Path: f.Path, Content: content})
		}
		return nil
	}
	if err := add(d.Files, "defaults.setup"); err != nil {
		return s, err
	}
	return s, add(c.Files, at+".setup")
}

func convertChecks(in []fileCheck) []Check {
	out := make([]Check, 0, len(in))
	for _, fc := range in {
		c := Check{Name: fc.Name, Command: fc.Command, File: fc.File, Contains: fc.Contains,
			Matches: fc.Matches, Status: fc.Status, Timeout: durOr(fc.Timeout, DefaultCheckTimeout)}
		switch {
		case fc.Command != "":
			c.Kind = CheckCommand
		case fc.File != "":
			c.Kind = CheckFile
		default:
			c.Kind = CheckStatus
		}
		out = append(out, c)
	}
	return out
}

// mergeChecks keeps the default checks then the case's, with a single
// status check: the last one given, else status = "finished", first.
func mergeChecks(d, c []Check) []Check {
	all := append(append([]Check(nil), d...), c...)
	status := Check{Kind: CheckStatus, Status: defaultExpectedStatus}
	rest := make([]Check, 0, len(all)+1)
	for _, ch := range all {
		if ch.Kind == CheckStatus {
			status = ch
			continue
		}
		rest = append(rest, ch)
	}
	return append([]Check{status}, rest...)
}

func mergeSandbox(d, c fileSandbox) SandboxSpec {
	str := func(c, d string) string {
		if c != "" {
			return c
		}
		return d
	}
	num := func(c, d int) int {
		if c != 0 {
			return c
		}
		return d
	}
	return SandboxSpec{
		Provider: str(c.Provider, d.Provider), Image: str(c.Image, d.Image),
		Snapshot: str(c.Snapshot, d.Snapshot), Target: str(c.Target, d.Target),
		CPU: num(c.CPU, d.CPU), MemoryGB: num(c.MemoryGB, d.MemoryGB), DiskGB: num(c.DiskGB, d.DiskGB),
		Network: str(c.Network, d.Network),
		Labels:  merged(d.Labels, c.Labels), Env: merged(d.Env, c.Env),
	}
}

// merged returns base overlaid with over (nil when both are empty).
func merged(base, over map[string]string) map[string]string {
	if len(base)+len(over) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

func boolOr(p *bool, d bool) bool {
	if p == nil {
		return d
	}
	return *p
}

func intOr(p *int, d int) int {
	if p == nil {
		return d
	}
	return *p
}

func floatOr(p *float64, d float64) float64 {
	if p == nil {
		return d
	}
	return *p
}
