package eventlist

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// maxCountedHits bounds the match positions kept for the "3/17" count;
// beyond it the count reads "3/100000+".
const maxCountedHits = 100_000

// hitCount is the sorted list of lines matching one query, valid while
// the output has as many lines as when it was counted.
type hitCount struct {
	query  string
	lines  int
	hits   []int
	capped bool
}

// count returns "k/n" for the match on line found: its rank among all
// matching lines. The lines are counted once per query (and again only
// when a running output has grown).
func (f *fullView) count(q matcher, found int) string {
	hc := &f.search.hits
	if hc.query != f.search.query || hc.lines != f.total() {
		*hc = hitCount{query: f.search.query, lines: f.total()}
		_ = f.e.out.scan(0, func(i int, line string) bool {
			if q.matches(line) {
				if len(hc.hits) == maxCountedHits {
					hc.capped = true
					return false
				}
				hc.hits = append(hc.hits, i)
			}
			return true
		})
	}
	k := sort.SearchInts(hc.hits, found)
	if k >= len(hc.hits) || hc.hits[k] != found {
		return "match"
	}
	if hc.capped {
		return fmt.Sprintf("%d/%d+", k+1, len(hc.hits))
	}
	return fmt.Sprintf("%d/%d", k+1, len(hc.hits))
}

func (q matcher) matches(line string) bool {
	if q.fold {
		return indexFold(line, q.q) >= 0
	}
	return strings.Contains(line, q.q)
}

// openGoto opens the line-number prompt in the footer.
func (f *fullView) openGoto() tea.Cmd {
	f.goingTo = true
	f.search.input.Prompt = ":"
	f.search.input.Placeholder = fmt.Sprintf("line (1–%d)", max(f.total(), 1))
	f.search.input.SetValue("")
	return f.search.input.Focus()
}

func (f *fullView) closeGoto() {
	f.goingTo = false
	f.search.input.Blur()
	f.search.input.Prompt = "/"
	f.search.input.Placeholder = "search"
	f.search.input.SetValue(f.search.query)
}

func (f *fullView) updateGoto(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		f.closeGoto()
		return nil
	case "enter":
		v := strings.TrimSpace(f.search.input.Value())
		f.closeGoto()
		n, err := strconv.Atoi(v)
		total := f.total()
		switch {
		case err != nil:
			f.note = fmt.Sprintf("not a line number: %q", v)
		case n < 1 || n > total:
			f.note = fmt.Sprintf("no line %d: the output has %d lines", n, total)
		default:
			f.goLine(m, n-1)
			f.note = fmt.Sprintf("line %d of %d", n, total)
		}
		return nil
	}
	var cmd tea.Cmd
	f.search.input, cmd = f.search.input.Update(msg)
	return cmd
}

// goLine centres line i and marks it.
func (f *fullView) goLine(m *Model, i int) {
	f.match = i
	f.follow = false
	f.left = 0
	f.top = i - f.bodyHeight(m)/2
	f.clamp(m)
}
