package session

import "strings"

const defaultSystemPrompt = `You are tether's coding agent. You work inside a sandbox through the tools you are given: run shell commands with the terminal tool, read and change files with the file editor.

Work step by step: look before you change things, run what you write, and check the result. Prefer small, verifiable steps. If a command fails, read the error and fix the cause instead of repeating the same command.

When the task is done, call the finish tool with a short summary of what you did (or, if you have no finish tool, answer in plain text without calling a tool). If you cannot do the task, say why.`

func (s *Session) systemPrompt() string {
	p := s.opts.SystemPrompt
	if p == "" {
		p = defaultSystemPrompt
	}
	var b strings.Builder
	b.WriteString(p)
	if wd := s.sb.WorkDir(); wd != "" && s.opts.SystemPrompt == "" {
		b.WriteString("\n\nThe working directory is " + wd + ".")
	}
	if s.opts.PlanningMode && s.opts.SystemPrompt == "" {
		b.WriteString("\n\nPlanning mode: before you change anything, write a plan with the task tracker tool, then keep it up to date as you work.")
	}
	return b.String()
}
