package llm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strings"
	"testing"
)

// TestEveryPriceHasASourceAndDate: each row of the built-in table ends
// with "[tag] YYYY-MM-DD", the tag one of the sources listed above the
// table, so no price sits there without saying where it came from.
func TestEveryPriceHasASourceAndDate(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "price_table.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	legend := regexp.MustCompile(`^// \[([a-z0-9-]+)\] \S`)
	rowNote := regexp.MustCompile(`^// \[([a-z0-9-]+)\] \d{4}-\d{2}-\d{2}\b`)
	notes := map[int]string{} // line → trailing comment
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if m := legend.FindStringSubmatch(c.Text); m != nil && !rowNote.MatchString(c.Text) {
				tags[m[1]] = true
			}
			notes[fset.Position(c.Pos()).Line] = c.Text
		}
	}
	if len(tags) < 5 {
		t.Fatalf("found %d source tags above the table", len(tags))
	}
	rows := 0
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		rows++
		key := kv.Key.(*ast.BasicLit).Value
		note := notes[fset.Position(kv.Pos()).Line]
		m := rowNote.FindStringSubmatch(note)
		switch {
		case m == nil:
			t.Errorf("price %s has no \"[source] date\" comment (got %q)", key, note)
		case !tags[m[1]]:
			t.Errorf("price %s cites [%s], which is not among the sources listed", key, m[1])
		}
		if _, ok := builtinPrices[strings.Trim(key, `"`)]; !ok {
			t.Errorf("row %s is not in builtinPrices", key)
		}
		return false
	})
	if rows != len(builtinPrices) {
		t.Fatalf("checked %d rows of %d", rows, len(builtinPrices))
	}
}
