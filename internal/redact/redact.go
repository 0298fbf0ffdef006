// Package redact replaces secret values (API keys) in text with one marker,
// so that logs, errors, events and recordings mask a key the same way
// wherever it turns up. Which values count as secrets is the caller's
// business; this package only replaces them.
package redact

import "strings"

// Marker stands where a secret was.
const Marker = "[REDACTED]"

// Text returns s with every occurrence of each non-empty secret replaced
// by Marker.
func Text(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Marker)
		}
	}
	return s
}
