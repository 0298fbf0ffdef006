package shellrun

import "strings"

// keyNames are the named keys Keys understands (tmux spelling, as the
// OpenHands terminal tool uses).
var keyNames = map[string]string{
	"enter": "\r", "tab": "\t", "escape": "\x1b", "esc": "\x1b", "bspace": "\x7f", "backspace": "\x7f",
	"up": "\x1b[A", "down": "\x1b[B", "right": "\x1b[C", "left": "\x1b[D",
	"home": "\x1b[H", "end": "\x1b[F", "pageup": "\x1b[5~", "pagedown": "\x1b[6~", "delete": "\x1b[3~",
	"space": " ",
}

// Keys turns what a model sends as input into the bytes to type. Input that
// is one key or a space-separated run of keys ("C-c", "C-d", "C-z", "Up",
// "Down", "Enter", "Tab", "Escape", "C-[a-z]") becomes those keys; anything
// else is text, typed followed by Enter.
func Keys(input string) []byte {
	fields := strings.Fields(input)
	if len(fields) == 0 {
		return []byte(input)
	}
	var out []byte
	for _, f := range fields {
		k, ok := key(f)
		if !ok {
			s := strings.TrimSuffix(input, "\n")
			return []byte(s + "\n")
		}
		out = append(out, k...)
	}
	return out
}

func key(name string) (string, bool) {
	if k, ok := keyNames[strings.ToLower(name)]; ok {
		return k, true
	}
	if len(name) == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-' {
		c := name[2] | 0x20
		if c >= 'a' && c <= 'z' {
			return string(rune(c - 'a' + 1)), true
		}
		switch name[2] {
		case '[':
			return "\x1b", true
		case '\\':
			return "\x1c", true
		}
	}
	return "", false
}
