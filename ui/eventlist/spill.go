package eventlist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// indexStride is how many lines share one entry of the spill file's
// offset index: reading line i seeks to line i-i%indexStride and skips at
// most indexStride-1 lines, while the index stays 64 times smaller than a
// dense one (a 100 MB flood of short lines costs ~160 KiB of index).
const indexStride = 64

// spillFile holds every line of one big tool output on disk, so that the
// full-output view can reach all of it while the heap keeps only a head
// and a tail. Lines are written through a buffer; readers flush first.
type spillFile struct {
	path  string
	w     *os.File // open while the tool call runs; nil once finished
	bw    *bufio.Writer
	r     *os.File // opened lazily for reading
	size  int64    // bytes written (buffered included)
	lines int
	index []int64 // index[k] = offset of line k*indexStride
}

func newSpillFile(dir string) (*spillFile, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	// The caller's directory (e.g. under the state dir) may not exist yet
	// on a fresh machine; without it the middle of every big output would
	// be lost.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keep full tool output on disk in %s: %w (set a writable spill directory)", dir, err)
	}
	f, err := os.CreateTemp(dir, "tether-output-*.txt")
	if err != nil {
		return nil, fmt.Errorf("keep full tool output on disk in %s: %w (set a writable spill directory)", dir, err)
	}
	return &spillFile{path: f.Name(), w: f, bw: bufio.NewWriterSize(f, 256<<10)}, nil
}

// writeLines appends newline-terminated lines; n is how many lines data
// holds.
func (s *spillFile) writeLines(data []byte, n int) error {
	if s.w == nil {
		// Output after the result (late chunks): reopen for appending.
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("reopen tool output file %s: %w", s.path, err)
		}
		s.w, s.bw = f, bufio.NewWriterSize(f, 64<<10)
	}
	if n == 1 {
		if s.lines%indexStride == 0 {
			s.index = append(s.index, s.size)
		}
	} else {
		off := s.size
		for i := 0; i < n; i++ {
			if (s.lines+i)%indexStride == 0 {
				s.index = append(s.index, off)
			}
			j := bytes.IndexByte(data[off-s.size:], '\n')
			off += int64(j + 1)
		}
	}
	if _, err := s.bw.Write(data); err != nil {
		return fmt.Errorf("write tool output to %s: %w", s.path, err)
	}
	s.size += int64(len(data))
	s.lines += n
	return nil
}

// finish flushes and closes the writer: the tool call has ended, and a
// long session must not hold one descriptor per big output.
func (s *spillFile) finish() error {
	if s.w == nil {
		return nil
	}
	err := s.bw.Flush()
	if cerr := s.w.Close(); err == nil {
		err = cerr
	}
	s.w, s.bw = nil, nil
	return err
}

// scan calls fn for lines from, from+1, ... until fn returns false or the
// file ends.
func (s *spillFile) scan(from int, fn func(i int, line string) bool) error {
	if from < 0 || from >= s.lines {
		return nil
	}
	if s.bw != nil {
		if err := s.bw.Flush(); err != nil {
			return fmt.Errorf("flush tool output to %s: %w", s.path, err)
		}
	}
	if s.r == nil {
		f, err := os.Open(s.path)
		if err != nil {
			return fmt.Errorf("read tool output from %s: %w", s.path, err)
		}
		s.r = f
	}
	k := from / indexStride
	off := s.index[k]
	br := bufio.NewReaderSize(io.NewSectionReader(s.r, off, s.size-off), 16<<10)
	for i := k * indexStride; i < s.lines; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("read tool output line %d from %s: %w", i+1, s.path, err)
		}
		if i < from {
			continue
		}
		if !fn(i, line[:len(line)-1]) {
			return nil
		}
	}
	return nil
}

// closeReader releases the read descriptor (the full view closed).
func (s *spillFile) closeReader() {
	if s.r != nil {
		s.r.Close()
		s.r = nil
	}
}

// remove closes everything and deletes the file.
func (s *spillFile) remove() error {
	s.closeReader()
	if s.w != nil {
		s.w.Close()
		s.w, s.bw = nil, nil
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove spilled tool output %s: %w", s.path, err)
	}
	return nil
}
