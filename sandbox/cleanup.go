package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Orphan is a sandbox tether created whose creating run is gone, or, when
// OtherHost is set, one from another machine that is old enough to be
// presumed abandoned (its run cannot be checked from here).
type Orphan struct {
	Info      Info
	Reason    string
	OtherHost bool
}

// DefaultOrphanGrace is how old a sandbox from another host must be before
// it is reported: we cannot see whether its tether is still running.
const DefaultOrphanGrace = 24 * time.Hour

// OrphanOptions tunes FindOrphansWith. Zero values are the defaults.
type OrphanOptions struct {
	// Host is this machine's name; default the tether-host label value
	// this process puts on its own sandboxes.
	Host string
	// Grace is the minimum age of a sandbox from another host to be
	// reported; default DefaultOrphanGrace.
	Grace time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Alive reports whether process pid on this host is still the tether
	// run that created a sandbox at createdAt; default ProcessAlive.
	Alive func(pid int, createdAt time.Time) bool
}

// FindOrphans lists the sandboxes of p labelled created-by=tether whose
// creating run is gone, with the default checks (see FindOrphansWith).
func FindOrphans(ctx context.Context, p Provider) ([]Orphan, error) {
	return FindOrphansWith(ctx, p, OrphanOptions{})
}

// FindOrphansWith lists p's tether sandboxes that no running tether owns:
// on this host, those whose creating process has exited or whose pid now
// belongs to a later process; on other hosts, those older than the grace
// period, marked OtherHost. This process's own sandboxes are never orphans.
func FindOrphansWith(ctx context.Context, p Provider, opts OrphanOptions) ([]Orphan, error) {
	if opts.Host == "" {
		opts.Host = hostName()
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultOrphanGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Alive == nil {
		opts.Alive = ProcessAlive
	}
	infos, err := p.List(ctx, map[string]string{LabelCreatedBy: CreatedByTether})
	if err != nil {
		return nil, fmt.Errorf("find orphaned %s sandboxes: %w", p.Name(), err)
	}
	now := opts.Now()
	var out []Orphan
	for _, info := range infos {
		if info.Labels[LabelRunID] == RunID() {
			continue
		}
		if o, ok := classifyOrphan(info, opts, now); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

func classifyOrphan(info Info, opts OrphanOptions, now time.Time) (Orphan, bool) {
	host := info.Labels[LabelHost]
	pid, pidErr := strconv.Atoi(info.Labels[LabelPID])
	age := now.Sub(info.CreatedAt)
	old := !info.CreatedAt.IsZero() && age >= opts.Grace
	ageText := age.Round(time.Minute).String()

	switch {
	case host == "" || pidErr != nil || pid <= 0:
		if !old {
			return Orphan{}, false
		}
		return Orphan{Info: info, OtherHost: host != opts.Host,
			Reason: fmt.Sprintf("no usable %s/%s labels and created %s ago", LabelHost, LabelPID, ageText)}, true
	case host != opts.Host:
		if !old {
			return Orphan{}, false
		}
		return Orphan{Info: info, OtherHost: true,
			Reason: fmt.Sprintf("created on host %s %s ago; its tether (pid %d) cannot be checked from here", host, ageText, pid)}, true
	case !opts.Alive(pid, info.CreatedAt):
		return Orphan{Info: info,
			Reason: fmt.Sprintf("its tether (pid %d on %s) is no longer running", pid, host)}, true
	}
	return Orphan{}, false
}

// ProcessAlive reports whether pid is a running process that could have
// created a sandbox at createdAt: a process that started after createdAt
// merely reuses the pid. When the start time cannot be read the process is
// assumed to be the creator, since deleting a live run's sandbox is worse
// than leaving an orphan.
func ProcessAlive(pid int, createdAt time.Time) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return false
	}
	if localZombie(pid) {
		return false
	}
	started, ok := localProcessStart(pid)
	if !ok || createdAt.IsZero() {
		return true
	}
	// Start times are in clock ticks; allow for rounding.
	return !started.After(createdAt.Add(2 * time.Second))
}

// localClockTick is USER_HZ, 100 on every Linux architecture Go supports
// for the /proc/<pid>/stat start time.
const localClockTick = time.Second / 100

// localProcessStart reads when pid started, from /proc.
func localProcessStart(pid int) (time.Time, bool) {
	fields, ok := localStatFields(pid)
	if !ok || len(fields) < 20 {
		return time.Time{}, false
	}
	// fields[0] is the state (field 3 of stat(5)); starttime is field 22.
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	boot, ok := localBootTime()
	if !ok {
		return time.Time{}, false
	}
	return boot.Add(time.Duration(ticks) * localClockTick), true
}

func localZombie(pid int) bool {
	fields, ok := localStatFields(pid)
	return ok && len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// localStatFields returns the fields of /proc/<pid>/stat after the command
// name, which may itself contain spaces and parentheses.
func localStatFields(pid int) ([]string, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(data[i+1:])), true
}

func localBootTime() (time.Time, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(sec, 0), true
		}
	}
	return time.Time{}, false
}
