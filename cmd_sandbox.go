package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tether-dev/tether/setup"

	"github.com/spf13/cobra"

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
	p, err := setup.Provider(cfg, log)
	if err != nil {
		closer.Close()
		return cfg, nil, nil, err
	}
	return cfg, p, closer, nil
}

// newCleanupCmd is `tether cleanup [--yes]`: it lists, and with --yes
// deletes, sandboxes tether created whose run is gone: what a kill -9 or a
// lost machine left behind.
func newCleanupCmd() *cobra.Command {
	var yes, all, snaps bool
	cmd := &cobra.Command{
		Use:   "cleanup [--yes] [--snapshots]",
		Short: "Find (and with --yes delete) sandboxes a crashed tether left, or workspace snapshots past their limits",
		Args:  noArgs,
	}
	c := newCommon(cmd.Flags()).sandboxFlags(false)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete what is found (default: only list)")
	cmd.Flags().BoolVar(&all, "all", false, "also sandboxes kept on purpose with 'tether sandbox create'")
	cmd.Flags().BoolVar(&snaps, "snapshots", false, "instead, prune workspace snapshots past [session] snapshots_max_gb / snapshots_keep_days (lists them; --yes removes)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if snaps {
			return cleanupSnapshots(cmd.Context(), c, yes)
		}
		return cleanup(cmd.Context(), c, yes, all)
	}
	return cmd
}

// cleanupSnapshots is `tether cleanup --snapshots [--yes]`.
func cleanupSnapshots(ctx context.Context, c *common, yes bool) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	stores, err := app.PruneSnapshots(ctx, cfg, !yes)
	if len(stores) == 0 && err == nil {
		fmt.Printf("no workspace snapshots in %s\n", cell(app.RecordDir(cfg)))
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAST USED\tSIZE\tSTATE\tSNAPSHOTS")
	var n int
	var freed int64
	for _, s := range stores {
		state := "kept"
		switch {
		case s.Live:
			state = "in use"
		case s.Prune != "" && yes:
			state, n, freed = "removed: "+s.Prune, n+1, freed+s.Bytes
		case s.Prune != "":
			state, n, freed = "to remove: "+s.Prune, n+1, freed+s.Bytes
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Modified.Format("2006-01-02 15:04"), humanBytes(s.Bytes), state, cell(s.Dir))
	}
	tw.Flush()
	pol := fmt.Sprintf("limits: %s in all, %s (set [session] snapshots_max_gb, snapshots_keep_days)", orNoLimit(cfg.Session.SnapshotsMaxGB > 0, fmt.Sprintf("%g GB", cfg.Session.SnapshotsMaxGB)),
		orNoLimit(cfg.Session.SnapshotsKeepDays > 0, fmt.Sprintf("%d days", cfg.Session.SnapshotsKeepDays)))
	switch {
	case n == 0:
		fmt.Println("nothing to prune;", pol)
	case yes:
		fmt.Printf("removed %d snapshot store(s), %s; %s\n", n, humanBytes(freed), pol)
	default:
		fmt.Printf("%d snapshot store(s), %s, past the limits; run `tether cleanup --snapshots --yes` to remove them (%s)\n", n, humanBytes(freed), pol)
	}
	return err
}

func orNoLimit(set bool, v string) string {
	if set {
		return v
	}
	return "no limit"
}

func cleanup(ctx context.Context, c *common, yes, all bool) error {
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
		if o.Info.Labels[suite.LabelKept] == "true" && !all {
			continue
		}
		found = append(found, o)
	}
	if len(found) == 0 {
		fmt.Printf("no orphaned %s sandboxes\n", p.Name())
		return cleanupCgroups(p, yes)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tRUN\tWHY")
	for _, o := range found {
		// Ids, states and labels come from the provider, which may hold
		// what anyone with access to the account wrote: shown inert.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell(o.Info.ID), cell(o.Info.State), o.Info.CreatedAt.Format(time.DateTime),
			cell(o.Info.Labels[sandbox.LabelRunID]), cell(o.Reason))
	}
	tw.Flush()
	if !yes {
		fmt.Printf("%d sandbox(es) found; run `tether cleanup --yes` to delete them\n", len(found))
		return nil
	}
	var errs []error
	for _, o := range found {
		if err := p.Delete(ctx, o.Info.ID); err != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %w", o.Info.ID, err))
			continue
		}
		fmt.Println("deleted", cell(o.Info.ID))
	}
	errs = append(errs, cleanupCgroups(p, yes))
	return errors.Join(errs...)
}

// staleCgroups is a provider that can find the empty cgroups crashed
// sandboxes left (the local provider).
type staleCgroups interface {
	StaleCgroups() []string
	RemoveCgroup(dir string) error
}

// cleanupCgroups lists, and with yes removes, the empty cgroups that
// sandboxes of crashed tethers left on this machine.
func cleanupCgroups(p sandbox.Provider, yes bool) error {
	sc, ok := p.(staleCgroups)
	if !ok {
		return nil
	}
	dirs := sc.StaleCgroups()
	if len(dirs) == 0 {
		return nil
	}
	if !yes {
		for _, d := range dirs {
			fmt.Println("empty sandbox cgroup left behind:", cell(d))
		}
		fmt.Printf("%d empty cgroup(s) found; run `tether cleanup --yes` to remove them\n", len(dirs))
		return nil
	}
	var errs []error
	for _, d := range dirs {
		if err := sc.RemoveCgroup(d); err != nil {
			errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
			continue
		}
		fmt.Println("removed cgroup", cell(d))
	}
	return errors.Join(errs...)
}

// newSandboxCmd is `tether sandbox create|exec|ls|rm`.
func newSandboxCmd() *cobra.Command {
	sub := func(use, short string, args cobra.PositionalArgs, labels bool,
		run func(context.Context, *cobra.Command, config.Config, sandbox.Provider, []string) error) *cobra.Command {
		cmd := &cobra.Command{Use: use, Short: short, Args: args}
		c := newCommon(cmd.Flags()).sandboxFlags(labels)
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			cfg, p, closer, err := loadProvider(c)
			if err != nil {
				return err
			}
			defer closer.Close()
			return run(cmd.Context(), cmd, cfg, p, args)
		}
		return cmd
	}
	create := sub("create", "Create a sandbox and keep it (prints its id)", noArgs, true, sandboxCreate)
	ls := sub("ls", "List the sandboxes tether created", noArgs, false, sandboxLs)
	rm := sub("rm ID [ID...]", "Delete sandboxes by id", minArgs(1, "at least one sandbox id (`tether sandbox ls` lists them)"), false, sandboxRm)
	var timeout time.Duration
	exec := sub("exec ID 'SHELL COMMAND' | exec ID [--] PROGRAM [ARGS...]", "Run a command in a kept sandbox (one string: a shell command; after -- or several words: a program and its arguments, passed intact)",
		minArgs(2, "ID COMMAND (`tether sandbox ls` lists the ids)"), false,
		func(ctx context.Context, cmd *cobra.Command, _ config.Config, p sandbox.Provider, args []string) error {
			// A "--" before the id (`exec -- ID PROG`) is argv mode too.
			return sandboxExec(ctx, p, args, cmd.ArgsLenAtDash() == 0, timeout)
		})
	// Everything after the id is the command, its own flags included.
	exec.Flags().SetInterspersed(false)
	exec.Flags().DurationVar(&timeout, "timeout", 0, "kill the command after this long")
	return group("sandbox", "Work with sandboxes by hand", create, exec, ls, rm)
}

// minArgs wants at least n positional arguments, named in what.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("want %s", what)
		}
		return nil
	}
}

func sandboxCreate(ctx context.Context, _ *cobra.Command, cfg config.Config, p sandbox.Provider, _ []string) error {
	spec := setup.Spec(cfg)
	spec.Labels = mergeLabels(spec.Labels, map[string]string{suite.LabelKept: "true"})
	spec.OnState = func(s string) { fmt.Fprintln(os.Stderr, "state:", termsafe.SanitizeLine(s)) }
	sb, err := p.Create(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Println(cell(sb.ID()))
	fmt.Fprintf(os.Stderr, "kept: remove it with `tether sandbox rm %s`\n", cell(sb.ID()))
	return nil
}

func sandboxLs(ctx context.Context, _ *cobra.Command, _ config.Config, p sandbox.Provider, _ []string) error {
	infos, err := p.List(ctx, map[string]string{sandbox.LabelCreatedBy: sandbox.CreatedByTether})
	if err != nil {
		return err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].CreatedAt.Before(infos[j].CreatedAt) })
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tLABELS")
	for _, in := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cell(in.ID), cell(in.State), in.CreatedAt.Format(time.DateTime), cell(userLabels(in.Labels)))
	}
	return tw.Flush()
}

func sandboxRm(ctx context.Context, _ *cobra.Command, _ config.Config, p sandbox.Provider, ids []string) error {
	var errs []error
	for _, id := range ids {
		if err := p.Delete(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("deleting %s: %w", id, err))
			continue
		}
		fmt.Println("deleted", cell(id))
	}
	return errors.Join(errs...)
}

// cell is a provider's string (an id, a state, labels) for one table cell:
// inert, on one line (tabs, which would break the columns, are spaces).
func cell(s string) string { return termsafe.SanitizeLine(s) }

func sandboxExec(ctx context.Context, p sandbox.Provider, args []string, argvMode bool, timeout time.Duration) error {
	line := sandbox.CommandLine(args[1:], argvMode)
	if line == "" {
		return usagef("want a command after %s (`tether sandbox exec ID -- PROGRAM ARGS...` or `tether sandbox exec ID 'shell command'`)", args[0])
	}
	op, ok := p.(sandbox.Opener)
	if !ok {
		return fmt.Errorf("the %s provider cannot attach to an existing sandbox", p.Name())
	}
	sb, err := op.Open(ctx, args[0])
	if err != nil {
		return err // it names the sandbox and how to list them
	}
	res, err := sb.Exec(ctx, sandbox.ExecRequest{
		Command: line,
		Timeout: timeout,
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

// userLabels shows labels without tether's bookkeeping ones.
func userLabels(l map[string]string) string {
	var parts []string
	for k, v := range sandbox.UserLabels(l) {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// newConfigCmd is `tether config`: the effective settings, secrets
// masked, with the flags given applied.
func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective settings (secrets masked)",
		Args:  noArgs,
	}
	c := newCommon(cmd.Flags()).sandboxFlags(true).agentFlags()
	cmd.RunE = func(*cobra.Command, []string) error {
		cfg, err := c.load()
		if err != nil {
			return err
		}
		return showConfig(cfg)
	}
	return cmd
}

func showConfig(cfg config.Config) error {
	src := cfg.Source
	if src == "" {
		src = "(no file; defaults and environment; would read " + config.DefaultPath() + ")"
	}
	// The path and the values (from the file and the environment) may
	// hold escapes; TOML quoting leaves C1 controls and bidi overrides.
	fmt.Printf("# effective settings from %s\n", termsafe.SanitizeLine(src))
	out, err := cfg.Show()
	if err != nil {
		return err
	}
	fmt.Print(termsafe.Sanitize(out))
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
