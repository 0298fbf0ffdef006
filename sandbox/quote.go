package sandbox

import "strings"

// ShellQuote quotes s as one bash word (single quotes; a ' inside becomes
// '\”), so that it reaches the command exactly as it is.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellJoin is the bash command line that runs argv as it is, each word
// quoted (docker exec and kubectl exec take their command this way):
// ShellJoin([]string{"sh", "-c", "echo hi"}) is sh -c 'echo hi'.
func ShellJoin(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = ShellQuote(a)
	}
	return strings.Join(words, " ")
}

// CommandLine picks what `tether sandbox exec ID ...` runs from the words
// after the id: after a "--" (argv mode) or when there are several words,
// they are a program and its arguments, passed intact; one word alone is a
// shell string, run as it is. It returns "" when no command is left.
func CommandLine(words []string, argvMode bool) string {
	if len(words) > 0 && words[0] == "--" {
		words, argvMode = words[1:], true
	}
	switch {
	case len(words) == 0:
		return ""
	case len(words) == 1 && !argvMode:
		return words[0]
	}
	return ShellJoin(words)
}
