package main

import (
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
)

// echo is the floor's stand-in for tether: raw mode, and every key redrawn
// at once as a one-row prompt in the same form tether's prompt row takes
// ("┃› " and the text), so the same key check applies. What it measures
// is the pty, the emulator and the scheduler, with no application work.
func echo() error {
	if st, err := term.MakeRaw(os.Stdin.Fd()); err == nil {
		defer term.Restore(os.Stdin.Fd(), st)
	}
	draw := func(buf string) {
		os.Stdout.WriteString("\x1b[2J\x1b[H┃› " + buf + " \r\n")
	}
	draw("")
	var buf []byte
	b := make([]byte, 256)
	for {
		n, err := os.Stdin.Read(b)
		if err != nil {
			return nil
		}
		for _, c := range b[:n] {
			switch {
			case c == 3 || c == 17: // ctrl+c, ctrl+q
				return nil
			case c == 0x7f || c == 8:
				if len(buf) > 0 {
					buf = buf[:len(buf)-1]
				}
			case c >= 'a' && c <= 'z':
				buf = append(buf, c)
			}
		}
		draw(strings.Clone(string(buf)))
	}
}
