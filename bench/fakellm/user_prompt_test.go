package main

import "testing"

func TestUserPromptDropsTheNotesOfTheUsersOwnCommands(t *testing.T) {
	for in, want := range map[string]string{
		"  ls -la ": "ls -la",
		"[The user ran this command in the sandbox themselves: `echo a > f` (exit code 0). Output:]\n\n\necho hi":                                                                                   "echo hi",
		"[The user ran this command in the sandbox themselves: `ls` (exit code 0). Output:]\na\n\n[The user ran this command in the sandbox themselves: `pwd` (exit code 0). Output:]\n/w\n\ncat f": "cat f",
	} {
		if got := userPrompt(in); got != want {
			t.Errorf("userPrompt(%q) = %q, want %q", in, got, want)
		}
	}
}
