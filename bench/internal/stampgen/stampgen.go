// Package stampgen is the output generator the latency harnesses run inside
// the sandbox: a line stamped with the wall clock every millisecond, and a
// flood of stamped lines beside it. It owns only that output and its log.
package stampgen

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Run is the command run in the sandbox (args are its flags -duration,
// -flood, -log): a stamped tick line every millisecond, and from a fifth
// of the way in a flood of stamped lines as fast as the pipe takes them.
// Each stamp is read right before the write that sends its line, with the
// write lock held, so it is when the line leaves the process (or starts
// waiting for the pipe to drain).
func Run(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dur := fs.Duration("duration", 10*time.Second, "how long to tick")
	flood := fs.Int64("flood", 100_000_000, "flood bytes")
	logPath := fs.String("log", "ticks.log", "where to write the tick stamps")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var mu sync.Mutex
	out := os.Stdout
	var floodStart, floodEnd int64
	floodDone := make(chan struct{})
	go func() {
		defer close(floodDone)
		time.Sleep(*dur / 5)
		pad := strings.Repeat("x", 60)
		buf := make([]byte, 0, 32<<10)
		sent := int64(0)
		for sent < *flood {
			mu.Lock()
			ts := time.Now().UnixNano()
			if floodStart == 0 {
				floodStart = ts
			}
			buf = buf[:0]
			stamp := strconv.FormatInt(ts, 10)
			for len(buf) < 32<<10-100 {
				buf = append(buf, "TS "...)
				buf = append(buf, stamp...)
				buf = append(buf, " flood "...)
				buf = append(buf, pad...)
				buf = append(buf, '\n')
			}
			_, err := out.Write(buf)
			floodEnd = time.Now().UnixNano()
			mu.Unlock()
			if err != nil {
				return
			}
			sent += int64(len(buf))
		}
	}()
	ticks := make([]int64, 0, int(*dur/time.Millisecond)+1)
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	end := time.Now().Add(*dur)
	line := make([]byte, 0, 64)
	for i := 0; time.Now().Before(end); i++ {
		<-t.C
		mu.Lock()
		ts := time.Now().UnixNano()
		line = append(line[:0], "TS "...)
		line = strconv.AppendInt(line, ts, 10)
		line = append(line, " tick "...)
		line = strconv.AppendInt(line, int64(i), 10)
		line = append(line, '\n')
		_, err := out.Write(line)
		mu.Unlock()
		if err != nil {
			return err
		}
		ticks = append(ticks, ts)
	}
	<-floodDone
	f, err := os.Create(*logPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("flood " + strconv.FormatInt(floodStart, 10) + " " + strconv.FormatInt(floodEnd, 10) + "\n")
	for _, ts := range ticks {
		w.WriteString(strconv.FormatInt(ts, 10) + "\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// Stage copies the running executable (which must run Run for its "gen"
// subcommand) into the newest local sandbox workspace under baseDir (a
// local provider's BaseDir) and returns its path there. bubblewrap gives
// each sandbox a private /tmp, so a binary built under the host's /tmp
// (go run, a checkout under /tmp) is not visible inside; the workspace is
// bound at its own path, so a copy there is.
func Stage(baseDir string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	works, _ := filepath.Glob(filepath.Join(baseDir, "local-*", "work"))
	if len(works) == 0 {
		return "", fmt.Errorf("no local sandbox workspace under %s yet", baseDir)
	}
	newest, newestAt := "", time.Time{}
	for _, w := range works {
		if fi, err := os.Stat(w); err == nil && fi.ModTime().After(newestAt) {
			newest, newestAt = w, fi.ModTime()
		}
	}
	dst := filepath.Join(newest, ".stampgen")
	src, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}
