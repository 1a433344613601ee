package hub

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRepo is one repository of the fake hub, at one commit.
type fakeRepo struct {
	commit string
	refs   map[string]string // branch or tag → commit
	files  map[string][]byte
	order  []string        // listing order
	lfs    map[string]bool // served through the CDN with X-Linked-* headers
	gated  bool            // needs the hub's token
}

// fakeHub behaves like huggingface.co for the calls this package makes: the
// revision API, resolve URLs (HEAD and GET, LFS files redirected to a CDN
// path), ETags, Range requests and error codes. Faults are injected per file.
type fakeHub struct {
	t     *testing.T
	srv   *httptest.Server
	token string
	repos map[string]*fakeRepo
	// renamed maps an old repo id to its new one (a relative redirect).
	renamed map[string]string

	mu       sync.Mutex
	dropOnce map[string]int  // file → bytes sent before the connection drops, once
	corrupt  map[string]bool // file → the CDN serves a flipped byte
	log      []string        // "METHOD path range"
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{t: t, repos: map[string]*fakeRepo{}, renamed: map[string]string{},
		dropOnce: map[string]int{}, corrupt: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

// addRepo adds a repository whose main branch is at a commit derived from its name.
func (h *fakeHub) addRepo(id string, files map[string][]byte, order []string, lfs ...string) *fakeRepo {
	sum := sha1.Sum([]byte(id))
	r := &fakeRepo{commit: hex.EncodeToString(sum[:]), files: files, order: order, lfs: map[string]bool{}}
	r.refs = map[string]string{"main": r.commit, "v1.0": r.commit}
	for _, f := range lfs {
		r.lfs[f] = true
	}
	h.repos[id] = r
	return r
}

// client returns a Client on the fake hub with a fresh cache.
func (h *fakeHub) client(cache string) *Client {
	return &Client{Endpoint: h.srv.URL, CacheDir: cache, HTTP: &http.Client{},
		Retries: 3, RetryWait: time.Millisecond, ProgressOut: io.Discard}
}

func (h *fakeHub) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.log...)
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func gitSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	h.mu.Lock()
	h.log = append(h.log, strings.TrimSpace(r.Method+" "+p+" "+r.Header.Get("Range")))
	h.mu.Unlock()
	switch {
	case strings.HasPrefix(p, "/api/models/"):
		h.serveRevision(w, r, strings.TrimPrefix(p, "/api/models/"))
	case strings.HasPrefix(p, "/cdn/"):
		h.serveCDN(w, r, strings.TrimPrefix(p, "/cdn/"))
	default:
		h.serveResolve(w, r, strings.TrimPrefix(p, "/"))
	}
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Error-Code", code)
	w.Header().Set("X-Error-Message", msg)
	w.WriteHeader(status)
}

// repoFor authorises a request and returns its repository (nil after an error answer).
func (h *fakeHub) repoFor(w http.ResponseWriter, r *http.Request, id string) *fakeRepo {
	repo, ok := h.repos[id]
	if !ok {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository Not Found for url")
		return nil
	}
	if repo.gated {
		switch r.Header.Get("Authorization") {
		case "Bearer " + h.token:
		case "":
			hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+id+" is restricted.")
			return nil
		default:
			hubError(w, http.StatusForbidden, "GatedRepo", "Access to model "+id+" is restricted and you are not in the authorized list.")
			return nil
		}
	}
	return repo
}

// serveRevision answers /api/models/{org}/{name}/revision/{rev}.
func (h *fakeHub) serveRevision(w http.ResponseWriter, r *http.Request, rest string) {
	id, rev, ok := strings.Cut(rest, "/revision/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	repo := h.repoFor(w, r, id)
	if repo == nil {
		return
	}
	rev, _ = url.PathUnescape(rev)
	commit, ok := repo.refs[rev]
	if !ok && rev != repo.commit {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	if !ok {
		commit = rev
	}
	type sibling struct {
		RFilename string `json:"rfilename"`
	}
	out := struct {
		ID       string    `json:"id"`
		SHA      string    `json:"sha"`
		Siblings []sibling `json:"siblings"`
	}{ID: id, SHA: commit}
	for _, f := range repo.order {
		out.Siblings = append(out.Siblings, sibling{f})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// serveResolve answers {org}/{name}/resolve/{rev}/{file}.
func (h *fakeHub) serveResolve(w http.ResponseWriter, r *http.Request, rest string) {
	id, tail, ok := strings.Cut(rest, "/resolve/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if to, ok := h.renamed[id]; ok {
		http.Redirect(w, r, "/"+to+"/resolve/"+tail, http.StatusTemporaryRedirect)
		return
	}
	repo := h.repoFor(w, r, id)
	if repo == nil {
		return
	}
	rev, file, _ := strings.Cut(tail, "/")
	rev, _ = url.PathUnescape(rev)
	file, _ = url.PathUnescape(file)
	if _, ok := repo.refs[rev]; !ok && rev != repo.commit {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	data, ok := repo.files[file]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", file+" does not exist on "+rev)
		return
	}
	w.Header().Set("X-Repo-Commit", repo.commit)
	if repo.lfs[file] {
		sum := sha256Hex(data)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", fmt.Sprint(len(data)))
		w.Header().Set("ETag", `"`+gitSHA1([]byte("version https://git-lfs.github.com/spec/v1\noid sha256:"+sum))+`"`)
		http.Redirect(w, r, h.srv.URL+"/cdn/"+sum+"?file="+url.QueryEscape(file)+"&repo="+url.QueryEscape(id), http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+gitSHA1(data)+`"`)
	http.ServeContent(w, r, file, time.Time{}, bytes.NewReader(data))
}

// serveCDN serves an LFS blob with Range support and the injected faults.
func (h *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request, sum string) {
	repo := h.repos[r.URL.Query().Get("repo")]
	file := r.URL.Query().Get("file")
	if repo == nil || sha256Hex(repo.files[file]) != sum {
		http.NotFound(w, r)
		return
	}
	data := repo.files[file]
	h.mu.Lock()
	drop, dropping := h.dropOnce[file]
	delete(h.dropOnce, file)
	if h.corrupt[file] {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	h.mu.Unlock()
	if dropping && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data[:drop])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-file
	}
	w.Header().Set("ETag", `"`+sum+`"`)
	http.ServeContent(w, r, file, time.Time{}, bytes.NewReader(data))
}
