package session

// Unqueue takes the last prompt queued behind the active run back out, so
// the user can edit or drop it, and returns it. ok is false when nothing
// is queued, also when the run loop has just taken the prompt to send it:
// the queue and the run loop share the session's lock, so a prompt is
// either handed back here or sent, never both and never lost.
func (s *Session) Unqueue() (prompt string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.queue)
	if n == 0 {
		return "", false
	}
	prompt, s.queue = s.queue[n-1], s.queue[:n-1]
	return prompt, true
}

// Queued are the prompts waiting behind the active run, oldest first.
func (s *Session) Queued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queue...)
}
