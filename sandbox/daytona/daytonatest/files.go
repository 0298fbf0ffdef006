package daytonatest

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func (s *Server) handleDir(w http.ResponseWriter, _ *http.Request, sb *fakeSandbox) {
	writeJSON(w, http.StatusOK, map[string]any{"dir": sb.Dir})
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	path := r.URL.Query().Get("path")
	if path == "" {
		writeError(w, http.StatusBadRequest, "path is required")
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		writeError(w, http.StatusBadRequest, "file is required: "+err.Error())
		return
	}
	defer file.Close()
	dst := resolve(sb.Dir, path)
	// Like gin's SaveUploadedFile, which the daemon uses: parents are made.
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, err := os.Create(dst)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	_, err = io.Copy(f, file)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

func fileError(w http.ResponseWriter, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, http.StatusNotFound, "file not found: "+err.Error())
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	f, err := os.Open(resolve(sb.Dir, r.URL.Query().Get("path")))
	if err != nil {
		fileError(w, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.Copy(w, f)
}

// handleBulkDownload answers like the daemon: a multipart body with a "file"
// part per file, or an "error" part carrying a JSON error.
func (s *Server) handleBulkDownload(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	var b struct {
		Paths []string `json:"paths"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || len(b.Paths) == 0 {
		writeError(w, http.StatusBadRequest, "paths is required")
		return
	}
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", mw.FormDataContentType())
	w.WriteHeader(http.StatusOK)
	defer mw.Close()
	for _, p := range b.Paths {
		data, err := os.ReadFile(resolve(sb.Dir, p))
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, fs.ErrNotExist) {
				status = http.StatusNotFound
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="error"; filename="`+p+`"`)
			h.Set("Content-Type", "application/json")
			pw, _ := mw.CreatePart(h)
			_ = json.NewEncoder(pw).Encode(map[string]any{"message": err.Error(), "statusCode": status})
			continue
		}
		pw, err := mw.CreateFormFile("file", p)
		if err != nil {
			return
		}
		_, _ = pw.Write(data)
	}
}

func (s *Server) handleClone(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	var b cloneBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.URL == "" || b.Path == "" {
		writeError(w, http.StatusBadRequest, "url and path are required")
		return
	}
	sb.recordClone(b.URL, b.Path, b.Branch, b.Commit, b.Username, b.Password)
	dst := resolve(sb.Dir, b.Path)
	args := []string{"clone", "--quiet"}
	if br := deref(b.Branch, ""); br != "" {
		args = append(args, "--branch", br)
	}
	args = append(args, "--", b.URL, dst)
	if out, err := s.git(sb, args...); err != nil {
		writeError(w, http.StatusBadRequest, "git clone failed: "+out)
		return
	}
	if c := deref(b.Commit, ""); c != "" {
		if out, err := s.git(sb, "-C", dst, "checkout", "--quiet", c); err != nil {
			writeError(w, http.StatusBadRequest, "git checkout failed: "+out)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) git(sb *fakeSandbox, args ...string) (string, error) {
	sb.ranProcs.Store(true)
	cmd := exec.Command("git", args...)
	cmd.Dir = sb.Dir
	cmd.Env = append(append(os.Environ(), "GIT_TERMINAL_PROMPT=0"), s.sandboxEnv(sb)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// cloneBody is the toolbox's git clone request.
type cloneBody struct {
	URL      string  `json:"url"`
	Path     string  `json:"path"`
	Branch   *string `json:"branch"`
	Commit   *string `json:"commit_id"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (sb *fakeSandbox) recordClone(url, path string, branch, commit, user, pass *string) {
	sb.procMu.Lock()
	sb.Clones = append(sb.Clones, Clone{URL: url, Path: path, Branch: deref(branch, ""), Commit: deref(commit, ""),
		Username: deref(user, ""), PasswordSet: deref(pass, "") != ""})
	sb.procMu.Unlock()
}
