package eventlist

// lineBuf keeps sanitized lines packed in one byte slice, each terminated
// by '\n' (sanitized lines never contain one), so that ingesting a line
// costs no allocation and a run of lines can be written to a spill file in
// one call. Lines can be dropped from the front (the tail window of a big
// output); the slice is compacted when the dead prefix dominates, which
// keeps both operations amortized O(1).
type lineBuf struct {
	buf    []byte
	starts []int // start offset in buf of each live line, ascending
	first  int   // index in starts of the first live line
}

func (b *lineBuf) len() int { return len(b.starts) - b.first }

// bytes is the size of the live lines, newlines included.
func (b *lineBuf) bytes() int {
	if b.len() == 0 {
		return 0
	}
	return len(b.buf) - b.starts[b.first]
}

// cost is what the live lines take in memory, their offsets included: a
// flood of empty lines must not slip past the byte budget.
func (b *lineBuf) cost() int64 { return int64(b.bytes()) + 8*int64(b.len()) }

// begin starts a new line: the caller appends its text to b.buf and then
// calls end.
func (b *lineBuf) begin() { b.starts = append(b.starts, len(b.buf)) }

func (b *lineBuf) end() { b.buf = append(b.buf, '\n') }

// last returns the bytes of the newest line, newline included.
func (b *lineBuf) last() []byte { return b.buf[b.starts[len(b.starts)-1]:] }

// line returns live line i (0 = oldest live line) without its newline.
func (b *lineBuf) line(i int) string {
	j := b.first + i
	start := b.starts[j]
	end := len(b.buf)
	if j+1 < len(b.starts) {
		end = b.starts[j+1]
	}
	return string(b.buf[start : end-1])
}

// liveBytes returns all live lines, newline-terminated.
func (b *lineBuf) liveBytes() []byte {
	if b.len() == 0 {
		return nil
	}
	return b.buf[b.starts[b.first]:]
}

// dropFront forgets the oldest live line.
func (b *lineBuf) dropFront() {
	b.first++
	if b.first == len(b.starts) {
		b.buf, b.starts, b.first = b.buf[:0], b.starts[:0], 0
		return
	}
	if b.first >= 1024 && b.first*2 >= len(b.starts) {
		off := b.starts[b.first]
		n := copy(b.buf, b.buf[off:])
		b.buf = b.buf[:n]
		m := copy(b.starts, b.starts[b.first:])
		b.starts = b.starts[:m]
		for i := range b.starts {
			b.starts[i] -= off
		}
		b.first = 0
	}
}

// shrink drops the dead prefix and the spare capacity left by appends,
// once no more lines will come: a long session keeps thousands of
// finished outputs.
func (b *lineBuf) shrink() {
	live := b.liveBytes()
	if b.first == 0 && cap(b.buf)-len(b.buf) <= len(b.buf)/8 {
		return
	}
	off := 0
	if b.len() > 0 {
		off = b.starts[b.first]
	}
	buf := make([]byte, len(live))
	copy(buf, live)
	starts := make([]int, b.len())
	for i := range starts {
		starts[i] = b.starts[b.first+i] - off
	}
	b.buf, b.starts, b.first = buf, starts, 0
}
