package transcript

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/internal/termsafe"
)

// Rows are the comparison's lines as label, A, B: what `tether diff`
// prints and the fleet view shows side by side. Values are redacted and
// inert, one line each.
func (c Comparison) Rows(red *redact.Set) [][3]string {
	cell := func(s string, n int) string {
		s = strings.Join(strings.Fields(red.Text(s)), " ")
		if r := []rune(s); len(r) > n {
			s = string(r[:n-1]) + "…"
		}
		return termsafe.SanitizeLine(s)
	}
	a, b := c.A, c.B
	rows := [][3]string{
		{"recording", cell(a.Path, 60), cell(b.Path, 60)},
		{"model", cell(orDash(a.Model), 40), cell(orDash(b.Model), 40)},
		{"status", a.Status, b.Status},
		{"steps", fmt.Sprint(a.Steps), fmt.Sprint(b.Steps)},
		{"tokens", tokens(a), tokens(b)},
		{"cost", Cost(a.CostUSD, a.CostKnown), Cost(b.CostUSD, b.CostKnown)},
		{"time", a.Duration.Round(100 * time.Millisecond).String(), b.Duration.Round(100 * time.Millisecond).String()},
		{"final message", cell(orDash(a.FinalMessage), 60), cell(orDash(b.FinalMessage), 60)},
	}
	if a.Parent != "" || b.Parent != "" {
		rows = append(rows[:2], append([][3]string{{"forked from", fork(a, cell), fork(b, cell)}}, rows[2:]...)...)
	}
	return rows
}

func fork(s Summary, cell func(string, int) string) string {
	if s.Parent == "" {
		return "-"
	}
	at := "its end"
	if s.ForkAt > 0 {
		at = fmt.Sprintf("event %d", s.ForkAt)
	}
	return cell(s.Parent, 40) + " at " + at
}

func tokens(s Summary) string {
	return fmt.Sprintf("%d in / %d out", s.PromptTokens, s.CompletionTokens)
}

// Cost shows a cost, or "unknown" when the model has no known price.
func Cost(usd float64, known bool) string {
	if !known {
		return "unknown"
	}
	return fmt.Sprintf("$%.4f", usd)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// FilesLine says in one line how the workspaces differ.
func (d FileDiff) FilesLine() string {
	if !d.Known {
		return "workspace files: not compared (" + d.Note + ")"
	}
	if len(d.OnlyA)+len(d.OnlyB)+len(d.Changed) == 0 {
		return fmt.Sprintf("workspace files: the same (%d files)", d.Same)
	}
	return fmt.Sprintf("workspace files: %d changed, %d only in A, %d only in B, %d the same",
		len(d.Changed), len(d.OnlyA), len(d.OnlyB), d.Same)
}

// WriteText prints the comparison for a terminal.
func (c Comparison) WriteText(w io.Writer, red *redact.Set) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tA\tB")
	for _, r := range c.Rows(red) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r[0], r[1], r[2])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range []struct{ name, text string }{{"A", c.A.FinalMessage}, {"B", c.B.FinalMessage}} {
		if strings.Contains(m.text, "\n") || len([]rune(m.text)) > 60 {
			fmt.Fprintf(w, "\nfinal message %s:\n%s\n", m.name, indent(termsafe.Sanitize(red.Text(m.text))))
		}
	}
	d := c.Files
	fmt.Fprintf(w, "\n%s\n", termsafe.SanitizeLine(red.Text(d.FilesLine())))
	for _, l := range []struct {
		what  string
		names []string
	}{{"only in A", d.OnlyA}, {"only in B", d.OnlyB}, {"changed", d.Changed}} {
		for _, n := range l.names {
			fmt.Fprintf(w, "  %-9s  %s\n", l.what, termsafe.SanitizeLine(red.Text(n)))
		}
	}
	if d.Diff != "" {
		fmt.Fprintf(w, "\n%s", termsafe.Sanitize(red.Text(d.Diff)))
	}
	if diffs := c.Differences(); len(diffs) > 0 {
		fmt.Fprintf(w, "\nthe branches differ: %s\n", strings.Join(diffs, ", "))
	} else {
		fmt.Fprintln(w, "\nthe branches came to the same outcome (status, final message, workspace files)")
	}
	return nil
}

// WriteJSON prints the comparison as one JSON object, redacted, with
// control characters escaped so it cannot drive a terminal.
func (c Comparison) WriteJSON(w io.Writer, red *redact.Set) error {
	c = c.Redacted(red)
	enc := json.NewEncoder(jsonsafe.Writer(w))
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// Redacted is c with every text redacted (the lists copied, not shared).
func (c Comparison) Redacted(red *redact.Set) Comparison {
	c.A, c.B = redactSummary(c.A, red), redactSummary(c.B, red)
	c.Files.Diff = red.Text(c.Files.Diff)
	for _, l := range []*[]string{&c.Files.OnlyA, &c.Files.OnlyB, &c.Files.Changed} {
		out := make([]string, len(*l))
		for i, s := range *l {
			out[i] = red.Text(s)
		}
		*l = out
	}
	return c
}

func redactSummary(s Summary, red *redact.Set) Summary {
	red.Strings(&s.Prompt, &s.FinalMessage, &s.Path, &s.Parent, &s.Model)
	return s
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
