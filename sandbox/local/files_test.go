package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalFilesRoundTrip(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		ctx := context.Background()
		binary := make([]byte, 256+1<<20)
		for i := range 256 {
			binary[i] = byte(i)
		}
		_, _ = rand.Read(binary[256:])
		cases := map[string][]byte{
			"a.txt":                                  []byte("hello\n"),
			"deep/new/dirs/empty":                    {},
			"bin/data":                               binary,
			filepath.Join(sb.WorkDir(), "abs/x.txt"): []byte("absolute"),
		}
		for path, data := range cases {
			if err := sb.WriteFile(ctx, path, data); err != nil {
				t.Fatalf("WriteFile(%s): %v", path, err)
			}
			got, err := sb.ReadFile(ctx, path)
			if err != nil {
				t.Fatalf("ReadFile(%s): %v", path, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("ReadFile(%s): %d bytes differ from the %d written", path, len(got), len(data))
			}
		}
		// Replacing truncates.
		if err := sb.WriteFile(ctx, "a.txt", []byte("x")); err != nil {
			t.Fatal(err)
		}
		// The command sees what WriteFile wrote, and ReadFile what it wrote.
		if _, out := localRun(t, sb, "cat a.txt; wc -c < bin/data; printf made > made.txt"); out != "x"+"1048832\n" {
			t.Fatalf("command saw %q", out)
		}
		if got, err := sb.ReadFile(ctx, "made.txt"); err != nil || string(got) != "made" {
			t.Fatalf("ReadFile(made.txt) = %q, %v", got, err)
		}
		// /tmp is the sandbox's own, under bwrap and without.
		if _, out := localRun(t, sb, `printf tmp > "${TMPDIR:-/tmp}/t"; echo "${TMPDIR:-/tmp}/t"`); out != "" {
			p := strings.TrimSpace(out)
			if got, err := sb.ReadFile(ctx, p); err != nil || string(got) != "tmp" {
				t.Fatalf("ReadFile(%s) = %q, %v", p, got, err)
			}
		}
	})
}

func TestLocalReadMissing(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		for _, p := range []string{"nope.txt", "no/such/dir/f", filepath.Join(t.TempDir(), "nope")} {
			_, err := sb.ReadFile(context.Background(), p)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("ReadFile(%s) err = %v, want fs.ErrNotExist", p, err)
			}
		}
	})
}

// TestLocalWriteStaysInside: neither a path nor a symlink the agent planted
// makes WriteFile write outside the sandbox. (Under bwrap a path under /tmp
// names the sandbox's private /tmp, so such writes may succeed, but nothing
// may appear at that path on the host.)
func TestLocalWriteStaysInside(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		ctx := context.Background()
		for _, p := range []string{"/etc/tether-test-victim", "/"} {
			if err := sb.WriteFile(ctx, p, []byte("x")); err == nil {
				t.Fatalf("WriteFile(%s) succeeded", p)
			}
		}
		outside := t.TempDir()
		target := filepath.Join(outside, "victim")
		sandboxDir := filepath.Dir(sb.WorkDir())
		escapes := map[string]string{
			target:                target,
			"../escape":           filepath.Join(sandboxDir, "escape"),
			"../../../escape":     filepath.Join(filepath.Dir(filepath.Dir(sandboxDir)), "escape"),
			"link/victim":         target,
			"filelink":            target,
			"../" + localMetaFile: filepath.Join(sandboxDir, localMetaFile),
		}
		meta, err := os.ReadFile(filepath.Join(sandboxDir, localMetaFile))
		if err != nil {
			t.Fatal(err)
		}
		localRun(t, sb, "ln -s "+outside+" link && ln -s "+target+" filelink")
		for p := range escapes {
			err := sb.WriteFile(ctx, p, []byte("x"))
			if iso == IsolationNone && err == nil {
				t.Errorf("WriteFile(%s) succeeded without isolation", p)
			}
		}
		for p, host := range escapes {
			if host == filepath.Join(sandboxDir, localMetaFile) {
				if got, _ := os.ReadFile(host); !bytes.Equal(got, meta) {
					t.Errorf("WriteFile(%s) overwrote the meta file", p)
				}
				continue
			}
			if _, err := os.Stat(host); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("WriteFile(%s) created %s on the host (%v)", p, host, err)
			}
		}
		if _, err := os.Stat("/etc/tether-test-victim"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a file appeared in /etc: %v", err)
		}
	})
}

func TestLocalBwrapReadOnlyHost(t *testing.T) {
	localNeedBwrap(t)
	_, sb := localTestSandbox(t, IsolationBwrap)
	outside := t.TempDir()
	res, _ := localRun(t, sb, "touch "+filepath.Join(outside, "x")+" 2>/dev/null")
	if res.ExitCode == 0 {
		t.Fatal("command wrote outside its workspace under bwrap")
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file appeared on the host: %v", err)
	}
}
