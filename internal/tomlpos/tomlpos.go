// Package tomlpos finds the line on which a TOML key is set, so errors
// about configuration and suite files can name file, line and key. It is a
// line scanner shared by config and suite; it knows nothing of either.
package tomlpos

import (
	"strconv"
	"strings"
)

// Locator finds the line on which a key is set. The TOML decoder does not
// keep positions for keys it could not decode, and keeps only one position
// per key name for arrays of tables ([[case]]), so error messages would
// point at the wrong case. This is a small line scanner, not a TOML parser:
// it understands table headers, arrays of tables, dotted keys, multi-line
// strings and multi-line arrays well enough to name a line, and it never
// fails: when it cannot place a key exactly, the caller falls back to the
// nearest enclosing key it did place.
type Locator struct {
	entries []locEntry
	byPath  map[string]int
}

type locEntry struct {
	path    string // with indices: case[1].checks[0].file
	generic string // without indices: case.checks.file
	line    int
}

// New indexes the keys of a TOML document.
func New(data []byte) *Locator {
	l := &Locator{byPath: map[string]int{}}
	counts := map[string]int{} // array-of-tables path (with parent indices) -> elements so far
	table := ""                // current table path with indices
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		t := strings.TrimSpace(lines[i])
		if t == "" || t[0] == '#' {
			continue
		}
		if strings.HasPrefix(t, "[[") {
			parts := splitKey(strings.TrimSpace(strings.TrimPrefix(cutHeader(t, "]]"), "[[")))
			if len(parts) == 0 {
				continue
			}
			parent := resolve(parts[:len(parts)-1], "", counts)
			arr := join(parent, parts[len(parts)-1])
			n := counts[arr]
			counts[arr] = n + 1
			table = arr + "[" + strconv.Itoa(n) + "]"
			l.add(table, lineNo)
			continue
		}
		if t[0] == '[' {
			parts := splitKey(strings.TrimSpace(strings.TrimPrefix(cutHeader(t, "]"), "[")))
			if len(parts) == 0 {
				continue
			}
			table = resolve(parts, "", counts)
			l.add(table, lineNo)
			continue
		}
		key, value, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		parts := splitKey(strings.TrimSpace(key))
		if len(parts) == 0 {
			continue
		}
		l.add(resolve(parts, table, nil), lineNo)
		i = skipValue(lines, i, strings.TrimSpace(value))
	}
	return l
}

// cutHeader drops a trailing comment after the header's closing brackets.
func cutHeader(t, closing string) string {
	if j := strings.LastIndex(t, closing); j >= 0 {
		return t[:j]
	}
	return t
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// resolve appends parts to prefix, indexing each part that names an array
// of tables with its latest element, as TOML does for [a.b] under [[a]].
func resolve(parts []string, prefix string, counts map[string]int) string {
	p := prefix
	for _, part := range parts {
		p = join(p, part)
		if n := counts[p]; n > 0 {
			p += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	return p
}

func (l *Locator) add(path string, line int) {
	if _, seen := l.byPath[path]; seen {
		return
	}
	l.byPath[path] = line
	l.entries = append(l.entries, locEntry{path: path, generic: stripIndices(path), line: line})
}

// Line is where path (with indices) is set, or where its nearest enclosing
// key is, or 0.
func (l *Locator) Line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if n, ok := l.byPath[p]; ok {
			return n
		}
	}
	return 0
}

// Find returns the first key with this index-free path under prefix (a
// path with indices, "" for anywhere), with its line. When none matches
// exactly it returns the nearest enclosing key it knows.
func (l *Locator) Find(generic, prefix string) (string, int) {
	for _, e := range l.entries {
		if e.generic == generic && (prefix == "" || e.path == prefix || strings.HasPrefix(e.path, prefix+".")) {
			return e.path, e.line
		}
	}
	if i := strings.LastIndexByte(generic, '.'); i > 0 {
		p, n := l.Find(generic[:i], prefix)
		if n > 0 {
			return p + generic[i:], n
		}
	}
	if prefix != "" {
		return join(prefix, strings.TrimPrefix(generic, stripIndices(prefix)+".")), l.Line(prefix)
	}
	return generic, 0
}

func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

func stripIndices(p string) string {
	var b strings.Builder
	skip := false
	for _, r := range p {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// splitKey splits a dotted key, honouring quoted parts.
func splitKey(s string) []string {
	var parts []string
	var cur strings.Builder
	quote := rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case r == ' ' || r == '\t':
		default:
			cur.WriteRune(r)
		}
	}
	parts = append(parts, strings.TrimSpace(cur.String()))
	for _, p := range parts {
		if p == "" {
			return nil
		}
	}
	return parts
}

// skipValue returns the index of the last line a value starting on line i
// occupies: multi-line strings and arrays span several lines.
func skipValue(lines []string, i int, value string) int {
	for _, delim := range []string{`"""`, `'''`} {
		if strings.HasPrefix(value, delim) {
			rest := value[len(delim):]
			if strings.Contains(rest, delim) {
				return i
			}
			for j := i + 1; j < len(lines); j++ {
				if strings.Contains(lines[j], delim) {
					return j
				}
			}
			return len(lines) - 1
		}
	}
	if !strings.HasPrefix(value, "[") && !strings.HasPrefix(value, "{") {
		return i
	}
	depth := bracketDepth(value)
	j := i
	for depth > 0 && j+1 < len(lines) {
		j++
		depth += bracketDepth(lines[j])
	}
	return j
}

// bracketDepth is the change in [ ] / { } nesting over s, ignoring
// brackets in strings and comments.
func bracketDepth(s string) int {
	d := 0
	quote := rune(0)
	escaped := false
	for _, r := range s {
		if quote != 0 {
			switch {
			case escaped:
				escaped = false
			case r == '\\' && quote == '"':
				escaped = true
			case r == quote:
				quote = 0
			}
			continue
		}
		switch r {
		case '"', '\'':
			quote = r
		case '#':
			return d
		case '[', '{':
			d++
		case ']', '}':
			d--
		}
	}
	return d
}
