package transcript

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"

	"github.com/tether-dev/tether/session"
)

// Comparison is two sessions side by side.
type Comparison struct {
	A     Summary  `json:"a"`
	B     Summary  `json:"b"`
	Files FileDiff `json:"files"`
	// Same is Same(), for --json readers.
	Same bool `json:"same"`
}

// IsSame reports whether the two branches came to the same outcome: the
// same status and final message and workspace files known to be the
// same. Steps, tokens, cost and time are not compared (two runs of one
// prompt differ in them anyway); workspaces that cannot be compared (a
// session without snapshots) count as different, since nothing says they
// are the same.
func (c Comparison) IsSame() bool { return len(c.Differences()) == 0 }

// Differences names what makes the branches differ (status, final
// message, workspace files), nothing when they are the same.
func (c Comparison) Differences() []string {
	var out []string
	if c.A.Status != c.B.Status {
		out = append(out, "status")
	}
	if c.A.FinalMessage != c.B.FinalMessage {
		out = append(out, "final message")
	}
	switch f := c.Files; {
	case !f.Known:
		out = append(out, "workspace files not comparable")
	case len(f.OnlyA)+len(f.OnlyB)+len(f.Changed) > 0:
		out = append(out, "workspace files")
	}
	return out
}

// FileDiff is how the two sessions' workspaces differ at their last step.
type FileDiff struct {
	// Known is false when a session has no workspace snapshot (Note says
	// why): the lists are then empty.
	Known   bool     `json:"known"`
	Note    string   `json:"note,omitempty"`
	OnlyA   []string `json:"only_a,omitempty"`
	OnlyB   []string `json:"only_b,omitempty"`
	Changed []string `json:"changed,omitempty"`
	Same    int      `json:"same"`
	// Diff is a unified diff of the changed and added text files (cut at
	// maxDiff bytes; binary and huge files are named, not shown).
	Diff      string `json:"diff,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

const (
	maxDiff     = 256 << 10 // of the whole diff
	maxDiffFile = 1 << 20   // a file larger is named, not diffed
)

// Compare loads two recordings and compares them.
func Compare(pathA, pathB string) (Comparison, error) {
	a, _, err := Load(pathA)
	if err != nil {
		return Comparison{}, fmt.Errorf("compare: %w", err)
	}
	b, _, err := Load(pathB)
	if err != nil {
		return Comparison{}, fmt.Errorf("compare: %w", err)
	}
	c := Comparison{A: a, B: b, Files: DiffWorkspaces(a.Snapshot, b.Snapshot)}
	c.Same = c.IsSame()
	return c, nil
}

type fileInfo struct {
	kind string // "file", "link", "dir"
	hash [32]byte
	size int64
	mode fs.FileMode
	link string
}

func walkSnapshot(dir string) (map[string]fileInfo, error) {
	if err := session.ValidSnapshot(dir); err != nil {
		return nil, err
	}
	out := map[string]fileInfo{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			t, _ := os.Readlink(p)
			out[rel] = fileInfo{kind: "link", link: t}
		case d.IsDir():
			out[rel] = fileInfo{kind: "dir"}
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fileInfo{kind: "file", hash: sha256.Sum256(b), size: info.Size(), mode: info.Mode().Perm()}
		}
		return nil
	})
	return out, err
}

// DiffWorkspaces compares two workspace snapshots.
func DiffWorkspaces(a, b string) FileDiff {
	var d FileDiff
	switch {
	case a == "" && b == "":
		d.Note = "neither session recorded a workspace snapshot"
		return d
	case a == "":
		d.Note = "session A recorded no workspace snapshot"
		return d
	case b == "":
		d.Note = "session B recorded no workspace snapshot"
		return d
	}
	fa, err := walkSnapshot(a)
	if err != nil {
		d.Note = "workspace A: " + err.Error()
		return d
	}
	fb, err := walkSnapshot(b)
	if err != nil {
		d.Note = "workspace B: " + err.Error()
		return d
	}
	d.Known = true
	names := map[string]bool{}
	for n := range fa {
		names[n] = true
	}
	for n := range fb {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var diff bytes.Buffer
	for _, n := range sorted {
		x, inA := fa[n]
		y, inB := fb[n]
		switch {
		case inA && !inB:
			d.OnlyA = append(d.OnlyA, n)
		case inB && !inA:
			d.OnlyB = append(d.OnlyB, n)
		case x == y:
			if x.kind != "dir" {
				d.Same++
			}
			continue
		default:
			d.Changed = append(d.Changed, n)
		}
		if (inA && x.kind == "dir") || (inB && y.kind == "dir") {
			continue
		}
		d.Truncated = d.Truncated || !appendFileDiff(&diff, a, b, n, x, y, inA, inB)
	}
	d.Diff = diff.String()
	return d
}

// appendFileDiff adds one file's diff; false when the cap was reached.
func appendFileDiff(w *bytes.Buffer, a, b, name string, x, y fileInfo, inA, inB bool) bool {
	if w.Len() >= maxDiff {
		return false
	}
	read := func(root string, fi fileInfo, in bool) (string, bool) {
		switch {
		case !in:
			return "", true
		case fi.kind == "link":
			return "symlink to " + fi.link + "\n", true
		case fi.size > maxDiffFile:
			return "", false
		}
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil || !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return "", false
		}
		return string(data), true
	}
	ta, okA := read(a, x, inA)
	tb, okB := read(b, y, inB)
	la, lb := "a/"+name, "b/"+name
	if !inA {
		la = "/dev/null"
	}
	if !inB {
		lb = "/dev/null"
	}
	switch {
	case !okA || !okB:
		fmt.Fprintf(w, "Binary or large file %s differs\n", name)
	case ta == tb:
		fmt.Fprintf(w, "%s: mode %v → %v\n", name, x.mode, y.mode)
	default:
		w.WriteString(udiff.Unified(la, lb, ta, tb))
	}
	if w.Len() > maxDiff {
		w.Truncate(maxDiff)
		w.WriteString("\n[diff cut at 256 KiB]\n")
		return false
	}
	return true
}
