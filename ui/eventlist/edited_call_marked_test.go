package eventlist

import (
	"strings"
	"testing"
	"time"
)

func TestAnEditedCallIsMarkedEdited(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 10)
	var f feed
	a := f.action("e1", "echo original")
	a.Action.NeedsApproval = true
	m.Append(a)
	b := f.action("e1", "echo changed")
	b.Action.Edited = true
	m.Append(b)
	m.Append(f.obs("e1", 0, time.Second))
	v := m.View()
	if !strings.Contains(v, "$ echo changed (edited by you) ✓") || strings.Contains(v, "echo original") {
		t.Fatalf("edit not marked:\n%s", v)
	}
}
