package suite

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadExample(t *testing.T) {
	s, err := Load("../examples/suite.toml")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range slices.Collect(s.Cases()) {
		ids = append(ids, c.ID)
	}
	want := []string{
		"hello/world[gpt-4o-mini]", "hello/world[gpt-4.1-mini]",
		"hello/tether[gpt-4o-mini]", "hello/tether[gpt-4.1-mini]",
		"fix-tests[gpt-4o-mini]#1", "fix-tests[gpt-4o-mini]#2",
	}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("ids = %q\nwant %q", ids, want)
	}
}
