package stampgen

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Max is the largest "TS <ns>" stamp in s, or 0.
func Max(s string) int64 {
	newest := int64(0)
	for i := 0; ; {
		j := strings.Index(s[i:], "TS ")
		if j < 0 {
			return newest
		}
		i += j + 3
		k := i
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k-i >= 18 {
			if v, err := strconv.ParseInt(s[i:k], 10, 64); err == nil {
				newest = max(newest, v)
			}
		}
	}
}

// Last is the last "TS <ns>" stamp in s (the newest, since stamps only
// grow along a stream of output), or 0.
func Last(s string) int64 {
	i := strings.LastIndex(s, "TS ")
	for i >= 0 {
		k := i + 3
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k-(i+3) >= 18 {
			v, _ := strconv.ParseInt(s[i+3:k], 10, 64)
			return v
		}
		i = strings.LastIndex(s[:i], "TS ")
	}
	return 0
}

// Seen records when each newer stamp was first seen (on a screen, or
// arriving somewhere), so a stamp's latency is when it or a newer one was
// first seen: lines scroll past between frames, and order is kept.
type Seen struct {
	mu     sync.Mutex
	at     []time.Time
	newest []int64
}

// Note records that stamp newest (0: none) was seen at t.
func (s *Seen) Note(t time.Time, newest int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.newest); newest > 0 && (n == 0 || newest > s.newest[n-1]) {
		s.at = append(s.at, t)
		s.newest = append(s.newest, newest)
	}
}

// At is when stamp ts or a newer one was first seen; false if never.
func (s *Seen) At(ts int64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.newest), func(i int) bool { return s.newest[i] >= ts })
	if i == len(s.newest) {
		return time.Time{}, false
	}
	return s.at[i], true
}

// Log is what the generator wrote to its -log file.
type Log struct {
	Ticks                []int64 // every tick's stamp
	FloodStart, FloodEnd int64   // 0 when there was no flood
}

// InFlood reports whether stamp ts was taken while the flood ran.
func (l Log) InFlood(ts int64) bool {
	return l.FloodStart > 0 && ts >= l.FloodStart && ts <= l.FloodEnd
}

// ReadLog reads a generator log: "flood START END" then one stamp a line.
func ReadLog(path string) (Log, error) {
	var l Log
	f, err := os.Open(path)
	if err != nil {
		return l, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) == 3 && fs[0] == "flood" {
			l.FloodStart, _ = strconv.ParseInt(fs[1], 10, 64)
			l.FloodEnd, _ = strconv.ParseInt(fs[2], 10, 64)
			continue
		}
		if v, err := strconv.ParseInt(s.Text(), 10, 64); err == nil {
			l.Ticks = append(l.Ticks, v)
		}
	}
	return l, s.Err()
}

// StageWait is Stage, retried until the sandbox's workspace exists.
func StageWait(baseDir string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		p, err := Stage(baseDir)
		if err == nil || time.Now().After(deadline) {
			return p, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
