package suite

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary writes a plain-text table (case, model, status, checks,
// cost, duration), then the totals: pass rate per model and per case,
// cost, tokens and duration percentiles. Sandbox-produced text is
// sanitised.
func (r *Report) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tMODEL\tSTATUS\tCHECKS\tSTEPS\tCOST\tDURATION")
	for _, c := range r.Cases {
		passed := 0
		for _, ch := range c.Checks {
			if ch.Passed {
				passed++
			}
		}
		checks := "-"
		if len(c.Checks) > 0 {
			checks = fmt.Sprintf("%d/%d", passed, len(c.Checks))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", oneLine(c.ID, 60), orDash(oneLine(c.Model, 30)), c.Status, checks,
			c.Steps, formatCost(c.CostUSD, c.CostKnown, c.LLMCalls), formatDuration(c.Duration))
	}
	tw.Flush()

	var reasons []string
	for _, c := range r.Cases {
		if c.Status != StatePassed && c.Reason != "" {
			line := fmt.Sprintf("  %s: %s", oneLine(c.ID, 60), oneLine(c.Reason, 160))
			if c.Kept {
				line += fmt.Sprintf(" [sandbox %s kept]", oneLine(c.SandboxID, 100)) // the provider's id
			}
			if c.RecordPath != "" {
				line += "\n    replay: tether replay " + oneLine(c.RecordPath, 300)
			}
			reasons = append(reasons, line)
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintf(ew, "\nNot passed:\n%s\n", strings.Join(reasons, "\n"))
	}

	t := r.Totals
	fmt.Fprintf(ew, "\n%d cases: %d passed, %d failed, %d errors, %d cancelled (%s pass rate) in %s\n",
		t.Cases, t.Passed, t.Failed, t.Errors, t.Cancelled, pct(t.PassRate), formatDuration(r.Duration))
	fmt.Fprintf(ew, "cost %s; tokens %d (prompt %d, completion %d); case duration p50 %s, p90 %s, max %s\n",
		formatCost(t.CostUSD, t.CostKnown, 1), t.TotalTokens, t.PromptTokens, t.CompletionTokens,
		formatDuration(t.DurationP50), formatDuration(t.DurationP90), formatDuration(t.DurationMax))
	if len(t.ByModel) > 1 {
		fmt.Fprintln(ew, "\nBy model:")
		writeGroups(ew, t.ByModel)
	}
	if len(t.ByCase) < len(r.Cases) {
		fmt.Fprintln(ew, "\nBy case:")
		writeGroups(ew, t.ByCase)
	}
	if r.Interrupted {
		fmt.Fprintln(ew, "\nThe run was interrupted: cases not finished are marked cancelled.")
	}
	return ew.err
}

func writeGroups(w io.Writer, groups []Group) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, g := range groups {
		fmt.Fprintf(tw, "  %s\t%d/%d passed\t%s\t%s\tp50 %s\n", oneLine(g.Name, 60), g.Passed, g.Cases, pct(g.PassRate),
			formatCost(g.CostUSD, g.CostKnown, 1), formatDuration(g.DurationP50))
	}
	tw.Flush()
}

// formatCost shows an unknown cost as "?" rather than a misleading $0.
func formatCost(usd float64, known bool, calls int) string {
	switch {
	case calls == 0:
		return "-"
	case !known && usd == 0:
		return "?"
	case !known:
		return fmt.Sprintf(">=$%.4f", usd)
	}
	return fmt.Sprintf("$%.4f", usd)
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// errWriter remembers the first write error so the table code can write
// freely and report once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("write summary: %w", err)
	}
	return n, nil
}
