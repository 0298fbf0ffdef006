package transcript

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
)

// Formats are the export formats.
var Formats = []string{"md", "html", "json"}

// Export writes the recording at path as a transcript in format (md,
// html or json), redacting secrets.
func Export(w io.Writer, path, format string, red *redact.Set) error {
	sum, evs, err := Load(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	switch format {
	case "md":
		return writeMarkdown(w, sum, blocks(evs, red), red)
	case "html":
		return writeHTML(w, sum, blocks(evs, red), red)
	case "json":
		return writeJSON(w, sum, evs, red)
	}
	return fmt.Errorf("export: unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// header is the summary as label/value lines, redacted and inert.
func header(s Summary, red *redact.Set) [][2]string {
	line := func(v string) string { return termsafe.SanitizeLine(red.Text(v)) }
	rows := [][2]string{
		{"Recording", line(s.Path)},
		{"Model", line(orDash(s.Model))},
		{"Status", s.Status},
		{"Steps", fmt.Sprint(s.Steps)},
		{"Tokens", tokens(s)},
		{"Cost", Cost(s.CostUSD, s.CostKnown)},
		{"Time", s.Duration.Round(100 * time.Millisecond).String()},
	}
	if s.Parent != "" {
		at := "its end"
		if s.ForkAt > 0 {
			at = fmt.Sprintf("event %d", s.ForkAt)
		}
		rows = append(rows, [2]string{"Forked from", line(s.Parent) + " at " + at})
	}
	if s.Skipped != "" {
		rows = append(rows, [2]string{"Damaged", line(s.Skipped)})
	}
	return rows
}

func title(s Summary, red *redact.Set) string {
	p := strings.Join(strings.Fields(red.Text(s.Prompt)), " ")
	if r := []rune(p); len(r) > 80 {
		p = string(r[:79]) + "…"
	}
	if p == "" {
		p = "tether session"
	}
	return termsafe.SanitizeLine(p)
}

// fence returns a code fence longer than any backtick run in s.
func fence(s string) string {
	n, run := 3, 0
	for _, r := range s {
		if r == '`' {
			if run++; run >= n {
				n = run + 1
			}
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", n)
}

func writeMarkdown(w io.Writer, s Summary, bs []block, red *redact.Set) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdEscapeLine(title(s, red)))
	for _, r := range header(s, red) {
		fmt.Fprintf(&b, "- **%s:** %s\n", r[0], mdEscapeLine(r[1]))
	}
	b.WriteString("\n## Transcript\n")
	for _, x := range bs {
		fmt.Fprintf(&b, "\n### %s · event %d\n\n", mdEscapeLine(x.title), x.seq)
		if x.text != "" {
			if x.fold {
				fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n%s\n\n</details>\n", html.EscapeString(x.title), x.text)
			} else {
				b.WriteString(x.text + "\n")
			}
		}
		if x.code != "" {
			f := fence(x.code)
			code := f + x.lang + "\n" + x.code + "\n" + f + "\n"
			if x.fold {
				fmt.Fprintf(&b, "<details><summary>%d lines</summary>\n\n%s\n</details>\n", x.lines, code)
			} else {
				b.WriteString(code)
			}
		}
	}
	if s.FinalMessage != "" {
		fmt.Fprintf(&b, "\n## Final message\n\n%s\n", termsafe.Sanitize(red.Text(s.FinalMessage)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscapeLine keeps a one-line value from turning into markup.
func mdEscapeLine(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`).Replace(s)
}

const htmlStyle = `body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h3{font-size:.95rem;margin:1.4rem 0 .3rem;color:#555}.you h3{color:#0550ae}.assistant h3{color:#1a7f37}.error h3{color:#cf222e}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.text{white-space:pre-wrap}table{border-collapse:collapse}td{padding:.1rem .8rem .1rem 0}summary{cursor:pointer;color:#555}
.diff .add{color:#1a7f37}.diff .del{color:#cf222e}`

func writeHTML(w io.Writer, s Summary, bs []block, red *redact.Set) error {
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>%s</title>\n<style>%s</style></head><body>\n", e(title(s, red)), htmlStyle)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<table>\n", e(title(s, red)))
	for _, r := range header(s, red) {
		fmt.Fprintf(&b, "<tr><td><b>%s</b></td><td>%s</td></tr>\n", e(r[0]), e(r[1]))
	}
	b.WriteString("</table>\n<h2>Transcript</h2>\n")
	for _, x := range bs {
		fmt.Fprintf(&b, "<section class=\"%s\"><h3>%s · event %d</h3>\n", x.role, e(x.title), x.seq)
		body := ""
		if x.text != "" {
			body += "<div class=\"text\">" + e(x.text) + "</div>\n"
		}
		if x.code != "" {
			body += "<pre class=\"" + x.lang + "\">" + htmlCode(x.code, x.lang) + "</pre>\n"
		}
		if x.fold {
			label := e(x.title)
			if x.lines > 0 {
				label = fmt.Sprintf("%d lines", x.lines)
			}
			body = "<details><summary>" + label + "</summary>\n" + body + "</details>\n"
		}
		b.WriteString(body + "</section>\n")
	}
	if s.FinalMessage != "" {
		fmt.Fprintf(&b, "<h2>Final message</h2>\n<div class=\"text\">%s</div>\n", e(termsafe.Sanitize(red.Text(s.FinalMessage))))
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func htmlCode(code, lang string) string {
	if lang != "diff" {
		return html.EscapeString(code)
	}
	var b strings.Builder
	for i, l := range strings.Split(code, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch {
		case strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++"):
			b.WriteString(`<span class="add">` + html.EscapeString(l) + `</span>`)
		case strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---"):
			b.WriteString(`<span class="del">` + html.EscapeString(l) + `</span>`)
		default:
			b.WriteString(html.EscapeString(l))
		}
	}
	return b.String()
}

// writeJSON writes the summary and the events (output chunks joined),
// every string redacted, control characters escaped.
func writeJSON(w io.Writer, s Summary, evs []session.Event, red *redact.Set) error {
	s = redactSummary(s, red)
	raw, err := json.Marshal(evs)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var events []json.RawMessage
	if err := json.Unmarshal(raw, &events); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for i, ev := range events {
		if r := red.Text(string(ev)); json.Valid([]byte(r)) {
			events[i] = json.RawMessage(r)
		} else {
			return fmt.Errorf("export: redacting event %d left invalid JSON: nothing written", i+1)
		}
	}
	enc := json.NewEncoder(jsonsafe.Writer(w))
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Type    string            `json:"type"`
		Summary Summary           `json:"summary"`
		Events  []json.RawMessage `json:"events"`
	}{"tether_transcript", s, events})
}
