package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/transcript"
)

// newDiffCmd is `tether diff A.jsonl B.jsonl`.
func newDiffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff A.jsonl B.jsonl",
		Short: "Compare two recorded sessions: status, steps, tokens, cost, time, final message, workspace files",
		Long: `Compare two recorded sessions (a branch and its parent, or two runs of one
prompt): status, steps, tokens, cost, time, final message, and a diff of
their workspace files at their last step.

Exit status, as diff(1): 0 when the branches came to the same outcome (same
status, final message and workspace files), 1 when they differ (or their
workspaces cannot be compared, as for a session without snapshots), 2 on
error (a recording that cannot be read, bad usage).`,
		Example: `  tether diff parent.jsonl branch.jsonl
  tether diff --json A.jsonl B.jsonl`,
		Args:              exactArgs(2, "two recordings, A.jsonl B.jsonl (see `tether ls`)"),
		ValidArgsFunction: completeFiles("jsonl"),
	}
	c := newCommon(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		// Trouble is exit 2, as for diff(1): 1 means "they differ".
		trouble := func(err error) error {
			fmt.Fprintln(cmd.ErrOrStderr(), "tether:", errText(err))
			return app.ExitStatus(2)
		}
		red, err := secretsOf(c.configPath)
		if err != nil {
			return trouble(err)
		}
		cmp, err := transcript.Compare(args[0], args[1])
		if err != nil {
			return trouble(err)
		}
		if asJSON {
			err = cmp.WriteJSON(cmd.OutOrStdout(), red)
		} else {
			err = cmp.WriteText(cmd.OutOrStdout(), red)
		}
		switch {
		case err != nil:
			return trouble(err)
		case !cmp.Same:
			return app.ExitStatus(1)
		}
		return nil
	}
	return cmd
}

// newExportCmd is `tether export RECORDING`.
func newExportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "export RECORDING",
		Short: "Write a recorded session as a readable transcript (Markdown, HTML or JSON), secrets redacted",
		Example: `  tether export X.jsonl > session.md
  tether export X.jsonl --format html -o session.html`,
		Args:              exactArgs(1, "one recording, FILE.jsonl (see `tether ls`)"),
		ValidArgsFunction: completeFiles("jsonl"),
	}
	c := newCommon(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "md", "md, html or json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !validFormat(format) {
			return usageError{fmt.Errorf("--format %q: use one of %s", format, strings.Join(transcript.Formats, ", "))}
		}
		red, err := secretsOf(c.configPath)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := transcript.Export(&buf, args[0], format, red); err != nil {
			return err
		}
		if out == "" {
			_, err := cmd.OutOrStdout().Write(buf.Bytes())
			return err
		}
		return writeNew(out, buf.Bytes())
	}
	return cmd
}

func validFormat(f string) bool {
	for _, v := range transcript.Formats {
		if f == v {
			return true
		}
	}
	return false
}

// secretsOf is the redaction set of the config's secrets (API keys).
func secretsOf(configPath string) (*redact.Set, error) {
	cfg, err := config.Load(configPath, os.Getenv)
	if err != nil {
		return nil, err
	}
	return redact.New(cfg.Secrets()...), nil
}

// writeNew writes data to path through a temporary file in the same
// directory, so a failure leaves no half-written file.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, errors.Join(werr, cerr))
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
