// Package safefile reads small files a user names (config, suites,
// prompts) without the traps of a plain os.ReadFile: a FIFO that blocks
// forever, /dev/zero that grows memory without end, a huge file. It only
// reads; what the bytes mean is the caller's business.
package safefile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// DefaultMax is the size limit for settings and suite files.
const DefaultMax = 8 << 20

// Read returns the contents of the regular file at path, refusing
// anything else (a FIFO, a device, a directory) and files over max bytes,
// with an error that says so. Opening never blocks. Errors wrap the
// os error (fs.ErrNotExist is still recognisable).
func Read(path string, max int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer forever.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): give the path of a file", path, kind(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed: is it the right file?", path, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > max { // it grew while read
		return nil, fmt.Errorf("%s is more than the %d bytes allowed: is it the right file?", path, max)
	}
	return data, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
