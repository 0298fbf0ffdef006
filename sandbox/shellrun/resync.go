package shellrun

import (
	"context"
	"time"
)

// Gapper is a Shell whose transport can lose output (a WebSocket the
// daemon drops): Gaps counts the drops. After one, the Runner learns how
// the running command ended from the state file, read with the
// Terminal's ReadFile.
type Gapper interface{ Gaps() uint64 }

type fileReader interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

// resyncEvery is how often a Runner whose shell lost output checks the
// state file for the end of the running command.
const resyncEvery = 200 * time.Millisecond

// resync checks, after the shell's transport dropped, whether the job
// ended meanwhile (its marker lost with the output): the state file the
// prompt writes names the last command and its status.
func (r *Runner) resync(ctx context.Context, j *job) {
	g := j.conn.sh.(Gapper).Gaps()
	if g != j.gaps {
		j.gaps = g
		if !j.lost {
			j.lost = true
			j.write([]byte("\n[tether: the connection to the terminal dropped and was re-established; output printed meanwhile is lost]\n"))
		}
	}
	fr, ok := r.term.(fileReader)
	if !j.lost || !ok || j.finished() {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r.mu.Lock()
	path := r.stateFile
	r.mu.Unlock()
	b, err := fr.ReadFile(rctx, path)
	if err != nil {
		return
	}
	if seq, st, ok := parseState(b); ok && seq == j.seq {
		j.finish(st, false)
	}
}
