package suite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// DefaultSuitePath is where AddFromRecording appends when given no path.
const DefaultSuitePath = "suite.toml"

// AddFromRecording turns a recorded session into a case appended to the
// suite file (created when missing): its prompt(s), model and sandbox
// settings, with a placeholder status check for the user to edit. The
// file is checked before and after; on any error it is left as it was.
func AddFromRecording(recordingPath, suitePath string) error {
	_, err := AddRecording(recordingPath, suitePath)
	return err
}

// AddRecording is AddFromRecording that also returns the new case's name,
// for the command to tell the user what to edit.
func AddRecording(recordingPath, suitePath string) (string, error) {
	if suitePath == "" {
		suitePath = DefaultSuitePath
	}
	hdr, evs, err := session.ReadRecordingFile(recordingPath)
	if err != nil {
		return "", fmt.Errorf("add %s to the suite: %w", recordingPath, err)
	}
	var prompts []string
	for _, ev := range evs {
		if ev.Kind == session.KindUserMessage && ev.Message != nil && strings.TrimSpace(ev.Message.Text) != "" {
			prompts = append(prompts, ev.Message.Text)
		}
	}
	if len(prompts) == 0 {
		return "", fmt.Errorf("add %s to the suite: the recording has no prompt (no user message): record a session that was sent one", recordingPath)
	}
	info := hdr.Sandbox
	if info == nil {
		for _, ev := range evs {
			if ev.Kind == session.KindSandbox && ev.Sandbox != nil {
				info = ev.Sandbox
				break
			}
		}
	}

	old, err := os.ReadFile(suitePath)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read suite %s: %w", suitePath, err)
	}
	var names []string
	if exists {
		s, err := parse(suitePath, old, LoadOptions{})
		if err != nil {
			return "", fmt.Errorf("the suite file must be valid before a case is added: %w", err)
		}
		for _, d := range s.defs {
			names = append(names, d.Name)
		}
	}
	name := uniqueName(caseNameFor(prompts[0]), names)

	var b strings.Builder
	if !exists {
		fmt.Fprintf(&b, "# A tether suite: run it with `tether suite run %s`.\n", suitePath)
		b.WriteString("# examples/suite.toml in the tether repository documents every key.\n")
	} else if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		b.WriteString("\n")
	}
	writeCase(&b, name, recordingPath, hdr.Model, info, prompts)

	content := append(slices.Clip(old), b.String()...)
	if _, err := parse(suitePath, content, LoadOptions{}); err != nil {
		return "", fmt.Errorf("the case made from %s does not load (a bug; the suite was not changed): %w", recordingPath, err)
	}
	if err := writeFileAtomic(suitePath, content); err != nil {
		return "", err
	}
	return name, nil
}

func writeCase(b *strings.Builder, name, recordingPath, model string, info *sandbox.Info, prompts []string) {
	fmt.Fprintf(b, "\n# Added from the recording %s.\n", oneLine(recordingPath, 200))
	b.WriteString("[[case]]\n")
	fmt.Fprintf(b, "name = %s\n", tomlQuote(name))
	if model != "" {
		fmt.Fprintf(b, "model = %s\n", tomlQuote(model))
	}
	fmt.Fprintf(b, "prompt = %s\n", tomlQuote(prompts[0]))
	if len(prompts) > 1 {
		b.WriteString("followups = [\n")
		for _, p := range prompts[1:] {
			fmt.Fprintf(b, "  %s,\n", tomlQuote(p))
		}
		b.WriteString("]\n")
	}
	if info != nil {
		var lines []string
		add := func(key, v string) {
			if v != "" {
				lines = append(lines, fmt.Sprintf("%s = %s", key, tomlQuote(v)))
			}
		}
		add("provider", info.Provider)
		add("image", info.Image)
		add("snapshot", info.Snapshot)
		add("target", info.Target)
		// A local sandbox reports the host's resources: not a setting.
		if info.Provider != "local" {
			for _, kv := range []struct {
				k string
				v int
			}{{"cpu", info.CPU}, {"memory_gb", info.MemoryGB}, {"disk_gb", info.DiskGB}} {
				if kv.v > 0 {
					lines = append(lines, fmt.Sprintf("%s = %d", kv.k, kv.v))
				}
			}
		}
		if labels := userLabels(info.Labels); len(labels) > 0 {
			lines = append(lines, "labels = "+inlineTable(labels))
		}
		if len(lines) > 0 {
			b.WriteString("\n[case.sandbox]\n")
			for _, l := range lines {
				b.WriteString(l + "\n")
			}
		}
	}
	b.WriteString("\n# TODO: edit this check: what must be true once the agent is done?\n")
	b.WriteString("# e.g. file = \"hello.txt\" with contains = \"...\", or command = \"make test\".\n")
	b.WriteString("[[case.checks]]\nstatus = \"finished\"\n")
}

// userLabels drops the labels tether puts on every sandbox itself.
func userLabels(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range sandbox.UserLabels(in) {
		switch k {
		case sandbox.LabelRunID, LabelSuite, LabelCase, LabelKept:
			continue
		}
		out[k] = v
	}
	return out
}

func inlineTable(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		key := k
		if !bareKey.MatchString(k) {
			key = tomlQuote(k)
		}
		parts = append(parts, key+" = "+tomlQuote(m[k]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// caseNameFor makes a case name from the first words of the prompt.
func caseNameFor(prompt string) string {
	var words []string
	for _, w := range strings.Fields(strings.ToLower(prompt)) {
		w = strings.Trim(unsafeChars.ReplaceAllString(w, ""), "-_.")
		if w != "" {
			words = append(words, w)
		}
		if len(words) == 4 {
			break
		}
	}
	name := strings.Join(words, "-")
	if len(name) > 40 {
		name = strings.TrimRight(name[:40], "-_.")
	}
	if !validName(name) {
		name = "recorded"
	}
	return name
}

func uniqueName(base string, taken []string) string {
	name := base
	for i := 2; slices.Contains(taken, name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}

// tomlQuote writes s as a TOML string: a multi-line literal string when
// that is exact and readable, else a basic string with TOML's escapes.
// Control characters, C1 controls and invisible format characters (bidi
// overrides, zero-width) are always escaped: the suite file stays inert
// when printed or opened in an editor, and decodes to s exactly.
func tomlQuote(s string) string {
	literalOK := strings.Contains(s, "\n") && !strings.Contains(s, "'''") && !strings.HasSuffix(s, "'")
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || mustEscape(r) {
			literalOK = false
		}
	}
	if literalOK && !strings.Contains(s, "\r") {
		// A newline right after the opening delimiter is trimmed by TOML.
		return "'''\n" + s + "'''"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			switch {
			case r < 0x20 || mustEscape(r) && r <= 0xffff:
				fmt.Fprintf(&b, `\u%04X`, r)
			case mustEscape(r):
				fmt.Fprintf(&b, `\U%08X`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// mustEscape is a character a TOML string must not carry raw: DEL, C1
// controls and invisible format characters (Unicode category Cf).
func mustEscape(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r)
}

// writeFileAtomic replaces path so a crash leaves the old or new file,
// never half of one.
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write suite %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write suite %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write suite %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write suite %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write suite %s: %w", path, err)
	}
	return nil
}
