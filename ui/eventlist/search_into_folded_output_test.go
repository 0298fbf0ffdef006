package eventlist

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func foldedOutput(t *testing.T, lines int) *Model {
	t.Helper()
	m := plain(t)
	m.SetSize(80, 12)
	var f feed
	m.Append(f.action("c1", "make"))
	var b strings.Builder
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	b.WriteString("")
	out := strings.Replace(b.String(), fmt.Sprintf("line %d\n", lines/2), "the needle is here\n", 1)
	m.Append(f.output("c1", out))
	m.Append(f.obs("c1", 0, time.Second))
	m.Append(f.assistant("after"))
	m.View()
	return m
}

func TestSearchExpandsAFoldedOutputToTheMatchingLine(t *testing.T) {
	m := foldedOutput(t, 40)
	if strings.Contains(m.View(), "needle") {
		t.Fatal("the match is visible before searching: the test shows nothing")
	}
	press(m, "/")
	typeText(m, "needle")
	press(m, "enter")
	v := m.View()
	if !strings.Contains(v, "the needle is here") {
		t.Fatalf("the matching line is not on screen:\n%s", v)
	}
	checkBox(t, v, 80, 12)
}

func TestSearchOpensTheFullViewOnAHugeFoldedOutput(t *testing.T) {
	m := foldedOutput(t, 2000)
	press(m, "/")
	typeText(m, "needle")
	press(m, "enter")
	if !m.InFullView() {
		t.Fatalf("full view not opened:\n%s", m.View())
	}
	if v := m.View(); !strings.Contains(v, "the needle is here") {
		t.Fatalf("full view not at the match:\n%s", v)
	}
}
