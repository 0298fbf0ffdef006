package eventlist

import (
	"context"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// TestSameScreenOnLocalAndDaytona: the same commands, run through a
// session's terminal on local and on Daytona's real daemon, draw the same
// event stream (the work dir and durations aside).
func TestSameScreenOnLocalAndDaytona(t *testing.T) {
	cmds := []string{
		"echo hi; echo err >&2",
		"printf 'a\\tb\\n'; printf 'no newline'",
		"false",
		"if then fi",
		"printf 'A\\xffB\\0C\\n'; echo tail-line-ok",
		"printf '\\033[31mred\\033[0m plain\\n'",
		"printf 'progress 1\\rprogress 2\\n'",
		"seq 1 40",
		"echo bye; exit 3",
	}
	ctx := context.Background()
	open := map[string]func(t *testing.T) sandbox.Sandbox{
		"local": func(t *testing.T) sandbox.Sandbox {
			p, err := local.NewProvider(local.Options{BaseDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			sb, err := p.Create(ctx, sandbox.Spec{})
			if err != nil {
				t.Fatal(err)
			}
			return sb
		},
		"daytona": func(t *testing.T) sandbox.Sandbox {
			p, err := realdaemon.New(t).NewProvider(daytona.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sb, err := p.Create(ctx, sandbox.Spec{})
			if err != nil {
				t.Fatal(err)
			}
			return sb
		},
	}
	views := map[string]string{}
	for _, name := range []string{"local", "daytona"} {
		t.Run(name, func(t *testing.T) {
			sb := open[name](t)
			defer sb.Close(ctx)
			s, err := session.New(session.Options{Sandbox: sb})
			if err != nil {
				t.Fatal(err)
			}
			var evs []session.Event
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ev := range s.Events() {
					evs = append(evs, ev)
				}
			}()
			for _, c := range cmds {
				if err := s.Shell(c); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			<-done
			m := plain(t)
			m.SetSize(120, 400)
			for _, ev := range evs {
				switch ev.Kind {
				case session.KindAction, session.KindOutput, session.KindObservation:
				default:
					continue
				}
				if o := ev.Observation; o != nil {
					o.Duration = 0
				}
				m.Append(ev)
			}
			press(m, "O")
			views[name] = strings.ReplaceAll(m.View(), sb.WorkDir(), "<work>")
		})
	}
	if len(views) == 2 && views["local"] != views["daytona"] {
		t.Fatalf("the screens differ:\n--- local\n%s\n--- daytona\n%s", views["local"], views["daytona"])
	}
	if !strings.Contains(views["local"], "tail-line-ok") {
		t.Fatalf("the screen lacks the output:\n%s", views["local"])
	}
}
