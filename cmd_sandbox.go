package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/suite"
)

// loadProvider reads the settings and builds their provider; the caller
// closes the log it writes to.
func loadProvider(c *common) (config.Config, sandbox.Provider, io.Closer, error) {
	cfg, err := c.load()
	if err != nil {
		return cfg, nil, nil, err
	}
	log, closer := openLog(cfg)
	p, err := app.NewProvider(cfg, log)
	if err != nil {
		closer.Close()
		return cfg, nil, nil, err
	}
	return cfg, p, closer, nil
}

// cmdCleanup lists, and with --yes deletes, sandboxes tether created whose
// run is gone: what a kill -9 or a lost machine left behind.
func cmdCleanup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tether cleanup", flag.ContinueOnError)
	c := commonFlags(fs)
	yes := fs.Bool("yes", false, "delete what is found (default: only list)")
	all := fs.Bool("all", false, "also sandboxes kept on purpose with `tether sandbox create`")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	_, p, closer, err := loadProvider(c)
	if err != nil {
		return err
	}
	defer closer.Close()
	orphans, err := sandbox.FindOrphans(ctx, p)
	if err != nil {
		return err // it says what it was listing
	}
	var found []sandbox.Orphan
	for _, o := range orphans {
		if o.Info.Labels[suite.LabelKept] == "true" && !*all {
			continue
		}
		found = append(found, o)
	}
	if len(found) == 0 {
		fmt.Printf("no orphaned %s sandboxes\n", p.Name())
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tRUN\tWHY")
	for _, o := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Info.ID, o.Info.State, o.Info.CreatedAt.Format(time.DateTime),
			o.Info.Labels[sandbox.LabelRunID], o.Reason)
	}
	tw.Flush()
	if !*yes {
		fmt.Printf("%d sandbox(es) found; run `tether cleanup --yes` to delete them\n", len(found))
		return nil
	}
	var errs []error
	for _, o := range found {
		if err := p.Delete(ctx, o.Info.ID); err != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %w", o.Info.ID, err))
			continue
		}
		fmt.Println("deleted", o.Info.ID)
	}
	return errors.Join(errs...)
}

// cmdSandbox is `tether sandbox create|exec|ls|rm`.
func cmdSandbox(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tether sandbox create|exec|ls|rm [flags]")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("tether sandbox "+sub, flag.ContinueOnError)
	c := commonFlags(fs)
	timeout := fs.Duration("timeout", 0, "exec: kill the command after this long")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	cfg, p, closer, err := loadProvider(c)
	if err != nil {
		return err
	}
	defer closer.Close()
	switch sub {
	case "create":
		spec := app.SandboxSpec(cfg)
		spec.Labels = mergeLabels(spec.Labels, map[string]string{suite.LabelKept: "true"})
		spec.OnState = func(s string) { fmt.Fprintln(os.Stderr, "state:", s) }
		sb, err := p.Create(ctx, spec)
		if err != nil {
			return err
		}
		fmt.Println(sb.ID())
		fmt.Fprintf(os.Stderr, "kept: remove it with `tether sandbox rm %s`\n", sb.ID())
		return nil
	case "ls":
		infos, err := p.List(ctx, map[string]string{sandbox.LabelCreatedBy: sandbox.CreatedByTether})
		if err != nil {
			return err
		}
		sort.Slice(infos, func(i, j int) bool { return infos[i].CreatedAt.Before(infos[j].CreatedAt) })
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tLABELS")
		for _, in := range infos {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", in.ID, in.State, in.CreatedAt.Format(time.DateTime), userLabels(in.Labels))
		}
		return tw.Flush()
	case "rm":
		if fs.NArg() == 0 {
			return errors.New("usage: tether sandbox rm ID [ID...]")
		}
		var errs []error
		for _, id := range fs.Args() {
			if err := p.Delete(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("deleting %s: %w", id, err))
				continue
			}
			fmt.Println("deleted", id)
		}
		return errors.Join(errs...)
	case "exec":
		if fs.NArg() < 2 {
			return errors.New("usage: tether sandbox exec ID COMMAND [ARGS] (`tether sandbox ls` lists the ids)")
		}
		op, ok := p.(sandbox.Opener)
		if !ok {
			return fmt.Errorf("the %s provider cannot attach to an existing sandbox", p.Name())
		}
		sb, err := op.Open(ctx, fs.Arg(0))
		if err != nil {
			return err // it names the sandbox and how to list them
		}
		res, err := sb.Exec(ctx, sandbox.ExecRequest{
			Command: strings.Join(fs.Args()[1:], " "),
			Timeout: *timeout,
			Stdout:  safeWriter{os.Stdout},
			Stderr:  safeWriter{os.Stderr},
		})
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return app.ExitStatus(min(max(res.ExitCode, 1), 255))
		}
		return nil
	}
	return fmt.Errorf("unknown sandbox command %q: use create, exec, ls or rm", sub)
}

// mergeLabels is a new map with a's labels, then b's over them.
func mergeLabels(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// userLabels shows labels without tether's bookkeeping ones.
func userLabels(l map[string]string) string {
	var parts []string
	for k, v := range sandbox.UserLabels(l) {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// cmdConfig prints the effective settings with secrets masked.
func cmdConfig(args []string) error {
	fs := flag.NewFlagSet("tether config", flag.ContinueOnError)
	c := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	src := cfg.Source
	if src == "" {
		src = "(no file; defaults and environment; would read " + config.DefaultPath() + ")"
	}
	fmt.Printf("# effective settings from %s\n", src)
	out, err := cfg.Show()
	if err != nil {
		return err
	}
	fmt.Print(out)
	return nil
}

// safeWriter passes sandbox output on with control sequences made inert:
// it may be the user's terminal.
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, termsafe.Sanitize(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
