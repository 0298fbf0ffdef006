package eventlist

import (
	"path"
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"

	"github.com/tether-dev/tether/internal/termsafe"
)

// Syntax highlighting of file views and diffs: chroma's lexer for the
// file's name cuts the (already sanitized) text into tokens, which become
// spans of the basic ANSI colours, so the terminal's theme decides the
// contrast as for the rest of the list. Spans are painted like a command's
// own colours: NO_COLOR keeps only their attributes.

// lexerFor is chroma's lexer for a file name, or nil when none fits (the
// text is then shown as it is).
func lexerFor(name string) chroma.Lexer {
	base := path.Base(name)
	if base == "" || base == "." || base == "/" {
		return nil
	}
	l := lexers.Match(base)
	if l == nil {
		return nil
	}
	return chroma.Coalesce(l)
}

// tokenStyle maps a token to a look; the zero Style leaves it as it is.
func tokenStyle(t chroma.TokenType) termsafe.Style {
	switch {
	case t.InCategory(chroma.Comment):
		if t == chroma.CommentPreproc || t == chroma.CommentPreprocFile {
			return termsafe.Style{Fg: termsafe.Indexed(5)}
		}
		return termsafe.Style{Fg: termsafe.Indexed(8), Attr: termsafe.Italic}
	case t == chroma.KeywordType, t == chroma.NameClass, t == chroma.NameBuiltin:
		return termsafe.Style{Fg: termsafe.Indexed(6)}
	case t.InCategory(chroma.Keyword), t == chroma.NameTag:
		return termsafe.Style{Fg: termsafe.Indexed(5)}
	case t.InSubCategory(chroma.LiteralString):
		return termsafe.Style{Fg: termsafe.Indexed(2)}
	case t.InSubCategory(chroma.LiteralNumber), t == chroma.NameConstant, t == chroma.KeywordConstant:
		return termsafe.Style{Fg: termsafe.Indexed(3)}
	case t == chroma.NameFunction, t == chroma.NameAttribute, t == chroma.NameDecorator:
		return termsafe.Style{Fg: termsafe.Indexed(4)}
	}
	return termsafe.Style{}
}

// highlightLines returns the spans of each line (sanitized, one line each)
// as lexed together, so a comment or string over several lines is seen
// whole. It returns nil when lex is nil or lexing fails.
func highlightLines(lex chroma.Lexer, lines []string) [][]termsafe.Span {
	if lex == nil || len(lines) == 0 {
		return nil
	}
	it, err := lex.Tokenise(nil, strings.Join(lines, "\n")+"\n")
	if err != nil {
		return nil
	}
	out := make([][]termsafe.Span, len(lines))
	ln, off := 0, 0 // current line and byte offset in it
	for tok := it(); tok != chroma.EOF; tok = it() {
		st := tokenStyle(tok.Type)
		v := tok.Value
		for v != "" && ln < len(lines) {
			part := v
			nl := strings.IndexByte(v, '\n')
			if nl >= 0 {
				part = v[:nl]
			}
			if part != "" && st != (termsafe.Style{}) {
				end := min(off+len(part), len(lines[ln]))
				if off < end && len(out[ln]) < termsafe.MaxSpans {
					out[ln] = addSpan(out[ln], termsafe.Span{Start: off, End: end, Style: st})
				}
			}
			off += len(part)
			if nl < 0 {
				break
			}
			v = v[nl+1:]
			ln, off = ln+1, 0
		}
	}
	return out
}

// addSpan appends sp, merging it into the last span when they touch and
// look the same.
func addSpan(spans []termsafe.Span, sp termsafe.Span) []termsafe.Span {
	if n := len(spans); n > 0 && spans[n-1].End == sp.Start && spans[n-1].Style == sp.Style {
		spans[n-1].End = sp.End
		return spans
	}
	return append(spans, sp)
}

// offsetSpans shifts spans by d bytes.
func offsetSpans(spans []termsafe.Span, d int) []termsafe.Span {
	for i := range spans {
		spans[i].Start += d
		spans[i].End += d
	}
	return spans
}

// fileViewPrefix starts file_editor's view of a file; cat -n numbers
// every line after it ("%6d\t": the text starts at column 8).
const fileViewPrefix = "Here's the result of running `cat -n` on "

// highlightFileView colours the lines of a file view the output store
// holds (lines 1.. are numbered file lines), lexed by the file's name.
func highlightFileView(o *outStore, body string) {
	first, _, ok := strings.Cut(body, "\n")
	if !ok || !strings.HasPrefix(first, fileViewPrefix) {
		return
	}
	lex := lexerFor(strings.TrimSuffix(strings.TrimPrefix(first, fileViewPrefix), ":"))
	if lex == nil {
		return
	}
	const col = 8
	var code []string
	var at []int
	for i := 1; i < o.lines(); i++ {
		if !o.inRAM(i) {
			break
		}
		l := o.ramLine(i)
		if len(l) < col || o.lineSpans(i) != nil {
			code = append(code, "")
		} else {
			code = append(code, l[col:])
		}
		at = append(at, i)
	}
	syn := highlightLines(lex, code)
	if syn == nil {
		return
	}
	if o.spans == nil {
		o.spans = make(map[int][]termsafe.Span)
	}
	for k, spans := range syn {
		if code[k] == "" && len(o.ramLine(at[k])) < col {
			continue // not a numbered line (a clip note)
		}
		// The line number dim, the code in its colours.
		o.spans[at[k]] = append([]termsafe.Span{{Start: 0, End: col - 2, Style: termsafe.Style{Attr: termsafe.Faint}}}, offsetSpans(spans, col)...)
	}
}

// diffLexer is the lexer for the file a unified diff changes.
func diffLexer(diff []string) chroma.Lexer {
	for _, l := range diff {
		if name, ok := strings.CutPrefix(l, "+++ "); ok {
			name, _, _ = strings.Cut(name, "\t")
			if name == "/dev/null" {
				continue
			}
			return lexerFor(strings.TrimPrefix(name, "b/"))
		}
		if name, ok := strings.CutPrefix(l, "--- "); ok && name != "/dev/null" {
			name, _, _ = strings.Cut(name, "\t")
			if lx := lexerFor(strings.TrimPrefix(name, "a/")); lx != nil {
				return lx
			}
		}
	}
	return nil
}

// diffLineSpans styles one code line of a diff ("+x", "-x", " x"): the
// marker in the diff's colour, the code highlighted, an added or removed
// line on a tinted background.
func diffLineSpans(lex chroma.Lexer, l string, light bool) []termsafe.Span {
	var marker termsafe.Style
	var bg termsafe.Color
	switch l[0] {
	case '+':
		marker = termsafe.Style{Fg: termsafe.Indexed(2), Attr: termsafe.Bold}
		bg = termsafe.Indexed(22)
		if light {
			bg = termsafe.Indexed(194)
		}
	case '-':
		marker = termsafe.Style{Fg: termsafe.Indexed(1), Attr: termsafe.Bold}
		bg = termsafe.Indexed(52)
		if light {
			bg = termsafe.Indexed(224)
		}
	}
	var code []termsafe.Span
	if lex != nil && len(l) > 1 {
		if syn := highlightLines(lex, []string{l[1:]}); syn != nil {
			code = offsetSpans(syn[0], 1)
		}
	}
	marker.Bg = bg
	spans := make([]termsafe.Span, 0, 2*len(code)+2)
	spans = append(spans, termsafe.Span{Start: 0, End: 1, Style: marker})
	at := 1
	for _, sp := range code {
		if sp.Start > at && bg.IsSet() {
			spans = append(spans, termsafe.Span{Start: at, End: sp.Start, Style: termsafe.Style{Bg: bg}})
		}
		sp.Style.Bg = bg
		spans = append(spans, sp)
		at = sp.End
	}
	if at < len(l) && bg.IsSet() {
		spans = append(spans, termsafe.Span{Start: at, End: len(l), Style: termsafe.Style{Bg: bg}})
	}
	return spans
}
