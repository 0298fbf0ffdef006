package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"os"
	"strconv"
	"sync"
)

// runID is generated once so that every sandbox this process creates can be
// traced back to the same run by `tether cleanup`.
var runID = sync.OnceValue(func() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux.
	return hex.EncodeToString(b[:])
})

// hostName is cached: it is read for every sandbox and cannot change in a way
// that matters while we run.
var hostName = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
})

// RunID is this process's run id (random, generated once per process).
func RunID() string { return runID() }

// TetherLabels returns the user's labels plus tether's own (created-by, run
// id, host, pid). Tether's labels win over user labels with the same key,
// because cleanup relies on them being true.
func TetherLabels(user map[string]string) map[string]string {
	out := make(map[string]string, len(user)+4)
	maps.Copy(out, user)
	out[LabelCreatedBy] = CreatedByTether
	out[LabelRunID] = RunID()
	out[LabelHost] = hostName()
	out[LabelPID] = strconv.Itoa(os.Getpid())
	return out
}

// MatchLabels reports whether have carries every key/value pair of want, the
// filter every Provider.List applies.
func MatchLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
