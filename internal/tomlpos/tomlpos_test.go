package tomlpos

import "testing"

func TestLine(t *testing.T) {
	doc := []byte(`name = "x"

[llm]
model = "m"
prices = { a = 1 }

[[case]]
name = "one"

[[case]]
name = "two"
notes = """
multi
line = "not a key"
"""
[[case.checks]]
file = "f"
`)
	l := New(doc)
	for path, want := range map[string]int{
		"name":                   1,
		"llm":                    3,
		"llm.model":              4,
		"case[0].name":           8,
		"case[1].name":           11,
		"case[1].checks[0]":      16,
		"case[1].checks[0].file": 17,
		"llm.nope":               3, // unknown key: its table's line
		"nowhere":                0,
	} {
		if got := l.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
	if p, n := l.Find("case.checks.file", "case[1]"); p != "case[1].checks[0].file" || n != 17 {
		t.Errorf("Find = %q, %d", p, n)
	}
}
