package suite

import (
	"fmt"
	"strconv"
	"strings"
)

// caseLimit is the most cases a suite may expand to and where that
// number was set, for the error that refuses a bigger one.
type caseLimit struct {
	max  int
	from string // "the default", "--max-cases", "matrix.max_cases at line 4"
}

// where names a key's line ("matrix.runs at line 3"), or just the key.
func (p *parser) where(key string) string {
	if n := p.loc.Line(key); n > 0 {
		return key + " at line " + strconv.Itoa(n)
	}
	return key
}

// count adds def's cases (variants × models × runs) to the suite's total,
// refusing them when the total would pass the limit. Nothing is expanded:
// the numbers multiply, so a matrix of a billion cases costs nothing to
// refuse.
func (p *parser) count(s *Suite, def caseDef, fc fileCase, at string, limit caseLimit) error {
	variants := max(1, len(def.Variants))
	n := variants
	for _, f := range []int{len(def.Models), def.Runs} {
		if f > 0 && n > limit.max/f { // n*f > limit.max, without overflow
			n = limit.max + 1
			break
		}
		n *= f
	}
	if s.total+n <= limit.max { // both at most limit.max+1: no overflow
		s.starts = append(s.starts, s.total)
		s.total += n
		return nil
	}
	factors := fmt.Sprintf("%s × %s × %s", plural(variants, "variant"),
		p.source(plural(len(def.Models), "model"), modelsKey(fc, s.matrix, at)),
		p.source(plural(def.Runs, "run"), runsKey(fc, at)))
	var msg string
	if n > limit.max {
		msg = fmt.Sprintf("case %q alone expands to %s cases (%s)", def.Name, product(variants, len(def.Models), def.Runs), factors)
	} else {
		msg = fmt.Sprintf("with case %q (%s = %s cases) the suite reaches %s cases", def.Name, factors,
			thousands(n), thousands(s.total+n))
	}
	return p.errAt(at, "%s, more than the %s allowed (%s): use fewer variants, models or runs, or raise the limit with max_cases in [matrix] or --max-cases",
		msg, thousands(limit.max), limit.from)
}

// modelsKey is the key a case's model list comes from.
func modelsKey(fc fileCase, m matrix, at string) string {
	switch {
	case len(fc.Models) > 0:
		return at + ".models"
	case fc.Model != "":
		return at + ".model"
	case len(m.Models) > 0:
		return "matrix.models"
	}
	return ""
}

// runsKey is the key a case's run count comes from ("" = the default 1).
func runsKey(fc fileCase, at string) string {
	if fc.Runs != nil {
		return at + ".runs"
	}
	return "matrix.runs"
}

// source appends where a factor was set: "100 models (matrix.models at line 3)".
func (p *parser) source(text, key string) string {
	if key == "" || p.loc.Line(key) == 0 {
		return text
	}
	return text + " (" + p.where(key) + ")"
}

// product is a × b × c written out, or "more than 10^18" when it would
// overflow.
func product(a, b, c int) string {
	const most = 1 << 62
	n := a
	for _, f := range []int{b, c} {
		if f > 0 && n > most/f {
			return "more than " + thousands(most)
		}
		n *= f
	}
	return thousands(n)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return thousands(n) + " " + unit + "s"
}

// thousands writes n with comma separators: 1000000 → "1,000,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
