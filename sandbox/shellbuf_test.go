package sandbox

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"
)

// stillRunning starts f and reports whether it is still running after d.
func stillRunning(f func(), d time.Duration) (running bool, done <-chan struct{}) {
	ch := make(chan struct{})
	go func() { f(); close(ch) }()
	select {
	case <-ch:
		return false, ch
	case <-time.After(d):
		return true, ch
	}
}

func TestShellOutputWithoutLimitNeverWaits(t *testing.T) {
	var q ShellOutput
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for i := 0; i < 64; i++ { // 4 MiB, nobody reading
		if running, _ := stillRunning(func() { _, _ = q.Write(chunk) }, 5*time.Second); running {
			t.Fatalf("write %d waited without a Limit", i)
		}
	}
}

func TestShellOutputWithLimitWaitsForTheReader(t *testing.T) {
	q := ShellOutput{Limit: 8}
	if _, err := q.Write([]byte("12345")); err != nil {
		t.Fatal(err)
	}
	running, done := stillRunning(func() { _, _ = q.Write([]byte("6789")) }, 50*time.Millisecond)
	if !running {
		t.Fatal("a write past the Limit did not wait")
	}
	buf := make([]byte, 3)
	if n, _ := q.Read(buf); string(buf[:n]) != "123" {
		t.Fatalf("read %q", buf[:n])
	}
	select { // 2 queued + 4 <= 8: room now
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the write still waits after a read made room")
	}
	rest, _ := io.ReadAll(io.LimitReader(&q, 6))
	if string(rest) != "456789" {
		t.Fatalf("read %q after the wait, want 456789", rest)
	}
	// A write larger than the Limit goes in whole into an empty queue.
	if running, _ := stillRunning(func() { _, _ = q.Write([]byte("0123456789abc")) }, 5*time.Second); running {
		t.Fatal("a write larger than the Limit waited on an empty queue")
	}
}

func TestShellOutputUnblockAndCloseReleaseAWaitingWriter(t *testing.T) {
	for _, release := range []string{"Unblock", "CloseWrite"} {
		t.Run(release, func(t *testing.T) {
			q := ShellOutput{Limit: 4}
			_, _ = q.Write([]byte("abcd"))
			running, done := stillRunning(func() { _, _ = q.Write([]byte("efgh")) }, 50*time.Millisecond)
			if !running {
				t.Fatal("a write past the Limit did not wait")
			}
			if release == "Unblock" {
				q.Unblock()
			} else {
				q.CloseWrite()
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s left the writer waiting", release)
			}
			want := "abcdefgh"
			if release == "CloseWrite" {
				want = "abcd" // written after the end: dropped
			} else {
				q.CloseWrite()
			}
			got, _ := io.ReadAll(&q)
			if string(got) != want {
				t.Fatalf("read %q, want %q", got, want)
			}
		})
	}
}

// Bytes come out in order and whole however writes and reads interleave.
func TestShellOutputWithLimitKeepsEveryByteInOrder(t *testing.T) {
	q := ShellOutput{Limit: 1000}
	var want bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 3000; i++ {
			p := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i%700)
			want.Write(p)
			_, _ = q.Write(p)
		}
		q.CloseWrite()
	}()
	var got bytes.Buffer
	buf := make([]byte, 333)
	for {
		n, err := q.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	wg.Wait()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("read %d bytes, wrote %d; not the same bytes in order", got.Len(), want.Len())
	}
}
