package local

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// localTagVar marks every process a local sandbox starts, through the
// environment its descendants inherit, so that processes which left their
// process group can still be found in /proc and killed.
const localTagVar = "TETHER_SANDBOX"

// localSandboxTag is the start of the tag entry of every command of sandbox
// id; one command's entry continues with its sequence number.
func localSandboxTag(id string) string { return localTagVar + "=" + id + "/" }

// localKillPasses bounds the sweep: each pass kills what it finds, and a
// further pass catches children forked while the previous one ran.
const localKillPasses = 5

// localKillTagged SIGKILLs every process whose environment holds an entry
// starting with tag, repeating until none is left.
func localKillTagged(tag string) {
	needle := []byte("\x00" + tag)
	self := os.Getpid()
	for range localKillPasses {
		if localKillPass(needle, self) == 0 {
			return
		}
	}
}

func localKillPass(needle []byte, self int) (killed int) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	_ = d.Close()
	buf := make([]byte, 0, 4096)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		env, err := localReadEnviron(pid, buf[:0])
		if err != nil || !bytes.Contains(env, needle) {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	return killed
}

// localReadEnviron returns "\x00" followed by the process's initial
// environment, so every entry, the first included, follows a NUL.
func localReadEnviron(pid int, buf []byte) ([]byte, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf = append(buf, 0)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || n == 0 {
			return buf, nil
		}
	}
}
