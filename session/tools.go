package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Names of the built-in tools, as the model sees them. They are OpenHands'
// names so that prompts written for OpenHands carry over.
const (
	ToolTerminal    = "terminal"
	ToolFileEditor  = "file_editor"
	ToolFinish      = "finish"
	ToolTaskTracker = "task_tracker"
)

// DefaultTools returns fresh instances of the tools every session gets:
// terminal, file_editor and finish, plus task_tracker in planning mode.
func DefaultTools(planning bool) []Tool {
	tools := []Tool{NewTerminalTool(), NewFileEditorTool(), NewFinishTool()}
	if planning {
		tools = append(tools, NewTaskTrackerTool())
	}
	return tools
}

// orDefault is v when it is set (> 0), else def: what a zero setting
// means throughout the package.
func orDefault[T ~int | ~int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// decodeArgs unmarshals a model's tool arguments into dst. Unknown fields
// are ignored on purpose: prompts written for other agents make models send
// extras (OpenHands' "security_risk", for one), and refusing them would only
// waste a turn. The error says what a valid call looks like.
func decodeArgs(tool string, raw json.RawMessage, dst any, example string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("invalid arguments for %s: %v; send a JSON object such as %s", tool, err, example)
	}
	return nil
}

// flexInt is an integer that also accepts a number in a string ("12") or
// a whole float (12.0), which models produce now and then.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != float64(int64(v)) {
		return fmt.Errorf("%s is not a whole number", string(b))
	}
	*f = flexInt(v)
	return nil
}

// flexFloat is a number that also accepts a number in a string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", string(b))
	}
	*f = flexFloat(v)
	return nil
}

// flexBool is a boolean that also accepts "true"/"false" in a string.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.Trim(strings.TrimSpace(string(b)), `"`))
	switch s {
	case "true", "1", "yes":
		*f = true
	case "false", "0", "no", "", "null":
		*f = false
	default:
		return fmt.Errorf("%s is not true or false", string(b))
	}
	return nil
}

// modelSafe makes text safe to send to a model as a JSON string: invalid
// UTF-8 becomes U+FFFD and NUL bytes become a visible "␀", since some
// providers reject or silently cut strings containing them.
func modelSafe(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\u2400")
}

// firstLine returns the first line of s cut to max runes, with "…" when
// anything was left out.
func firstLine(s string, max int) string {
	s = strings.TrimSpace(s)
	line, rest, multi := strings.Cut(s, "\n")
	line = strings.TrimRight(line, "\r")
	cut := multi && strings.TrimSpace(rest) != ""
	if utf8.RuneCountInString(line) > max {
		r := []rune(line)
		line = string(r[:max])
		cut = true
	}
	if cut {
		line += "…"
	}
	return line
}

// shellQuote quotes s for bash as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
