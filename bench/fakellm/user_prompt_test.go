package main

import "testing"

func TestUserPromptDropsTheNotesOfTheUsersOwnCommands(t *testing.T) {
	for in, want := range map[string]string{
		"  ls -la ": "ls -la",
		"[The user ran this command in the sandbox themselves: `echo a > f` (exit code 0). Output:]\n\n\necho hi":                                                                                          "echo hi",
		"[The user took over the sandbox's shell for 8s and ran:\n- `ls` (exit code 0).\nFiles changed:\n- modified a.txt\nThe user has handed the sandbox back to you; take their changes into account.]": "",
		"[The user took over the sandbox's shell for 2s and ran:\n- `ls` (exit code 0).\nThe user has handed the sandbox back to you; take their changes into account.]\n\nwc -l a.txt":                    "wc -l a.txt",
		"[The user ran this command in the sandbox themselves: `ls` (exit code 0). Output:]\na\n\n[The user ran this command in the sandbox themselves: `pwd` (exit code 0). Output:]\n/w\n\ncat f":        "cat f",
	} {
		if got := userPrompt(in); got != want {
			t.Errorf("userPrompt(%q) = %q, want %q", in, got, want)
		}
	}
}
