package session

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestTerminalSameObservationsOnEveryProvider: the same calls give the
// same observations (what the model reads and what the screen shows) on
// local and on Daytona, the work dir aside.
func TestTerminalSameObservationsOnEveryProvider(t *testing.T) {
	calls := []map[string]any{
		{"command": "echo hi; echo err >&2"},
		{"command": "printf 'a\\tb\\n'; printf 'no newline'"},
		{"command": "mkdir -p 'd 1' && cd 'd 1' && pwd"},
		{"command": "false"},
		{"command": "if then fi"},
		{"command": "echo 'open"},
		{"command": "printf 'A\\xffB\\0C\\n'; echo tail-line-ok"},
		{"command": "printf '\\033[31mred\\033[0m\\r\\n'"},
		{"command": "seq 1 3 | tail -2; export Z=1"},
		{"command": "cat <<'EOF'\n\tx $Z\nEOF"},
		{"command": "sleep 0.4; echo late", "timeout": 0.1},
		{"command": ""},
		{"command": "read -p 'answer? ' x; echo \"got $x\"", "timeout": 0.2},
		{"command": "yes", "is_input": true},
		{"command": "echo bye; exit 4"},
		{"command": "pwd; echo $Z"},
		{"command": "echo before; sleep 30", "timeout": 0.5},
		{"command": "C-c", "is_input": true},
		{"command": "seq 1 20000"},
	}
	type obs struct {
		Content, Output, Cwd                    string
		Code                                    int
		TimedOut, Interrupted, Running, IsError bool
		Bytes                                   int64
		Saved                                   bool
	}
	dur := regexp.MustCompile(`after [0-9.]+ seconds?`)
	got := map[string][]obs{}
	var names []string
	for _, p := range ttTerminalProviders() {
		ok := t.Run(p.name, func(t *testing.T) {
			sb := p.open(t)
			tool := NewTerminalTool().(*TerminalTool)
			defer tool.Close()
			norm := func(s string) string {
				return dur.ReplaceAllString(strings.ReplaceAll(s, sb.WorkDir(), "<work>"), "after <t>")
			}
			for _, c := range calls {
				res, _ := ttCall(t, tool, sb, c)
				bytes := res.OutputBytes
				if res.FullOutputPath == "" { // Output is all the output: paths in it count
					bytes -= int64(strings.Count(res.Output, sb.WorkDir()) * (len(sb.WorkDir()) - len("<work>")))
				}
				got[p.name] = append(got[p.name], obs{norm(res.Content), norm(res.Output), norm(res.Cwd), ttCode(res),
					res.TimedOut, res.Interrupted, res.Running, res.IsError, bytes, res.FullOutputPath != ""})
			}
		})
		if ok && !t.Skipped() {
			names = append(names, p.name)
		}
	}
	if len(got) < 2 {
		t.Skip("only one provider here")
	}
	a, b := got["local"], got["daytona"]
	if len(a) != len(calls) || len(b) != len(calls) {
		t.Fatalf("%d and %d observations of %d calls", len(a), len(b), len(calls))
	}
	for i := range calls {
		if a[i] != b[i] {
			ac, bc := a[i].Content, b[i].Content
			d := ttFirstDiff([]byte(ac), []byte(bc))
			a[i].Content, b[i].Content = ttAround(ac, d), ttAround(bc, d)
			a[i].Output, b[i].Output = ttAround(a[i].Output, d), ttAround(b[i].Output, d)
			t.Errorf("call %d %v differs (content from byte %d):\nlocal:   %s\ndaytona: %s", i, calls[i], d, ttObsString(a[i]), ttObsString(b[i]))
		}
	}
}

// ttAround is s near byte i, for a failure message.
func ttAround(s string, i int) string {
	lo, hi := min(len(s), max(0, i-80)), min(len(s), i+80)
	return s[lo:hi]
}

func ttObsString(o any) string { return fmt.Sprintf("%+q", fmt.Sprintf("%+v", o)) }
