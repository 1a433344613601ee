package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// weights returns n deterministic bytes.
func weights(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// mambaRepo adds a repository shaped like state-spaces/mamba-130m-hf.
func mambaRepo(h *fakeHub, id string) *fakeRepo {
	files := map[string][]byte{
		"config.json":       []byte(`{"model_type":"mamba"}`),
		"tokenizer.json":    []byte(`{"model":{}}`),
		"model.safetensors": weights(100_000),
		"pytorch_model.bin": weights(5000),
		"README.md":         []byte("# a model"),
		"onnx/model.json":   []byte(`{}`),
	}
	order := []string{"README.md", "config.json", "model.safetensors", "onnx/model.json", "pytorch_model.bin", "tokenizer.json"}
	return h.addRepo(id, files, order, "model.safetensors", "pytorch_model.bin")
}

func TestSnapshotLayout(t *testing.T) {
	h := newFakeHub(t)
	repo := mambaRepo(h, "state-spaces/mamba-tiny")
	cache := t.TempDir()
	c := h.client(cache)
	dir, err := c.Snapshot(context.Background(), "state-spaces/mamba-tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cache, "models--state-spaces--mamba-tiny")
	if want := filepath.Join(root, "snapshots", repo.commit); dir != want {
		t.Fatalf("snapshot dir %s, want %s", dir, want)
	}
	if b, err := os.ReadFile(filepath.Join(root, "refs", "main")); err != nil || string(b) != repo.commit {
		t.Errorf("refs/main = %q, %v; want %s", b, err, repo.commit)
	}
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors"} {
		etag := gitSHA1(repo.files[f])
		if repo.lfs[f] {
			etag = sha256Hex(repo.files[f])
		}
		link, err := os.Readlink(filepath.Join(dir, f))
		if want := filepath.Join("..", "..", "blobs", etag); err != nil || link != want {
			t.Errorf("%s links to %q (%v), want the relative %q", f, link, err, want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !bytes.Equal(b, repo.files[f]) {
			t.Errorf("%s: content differs (%v)", f, err)
		}
	}
	for _, f := range []string{"README.md", "pytorch_model.bin", "onnx/model.json"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was downloaded; the default patterns exclude it", f)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(root, "blobs", "*.incomplete")); len(m) != 0 {
		t.Errorf("partial downloads left behind: %v", m)
	}

	before := len(h.requests())
	again, err := c.Snapshot(context.Background(), "state-spaces/mamba-tiny", "main", nil)
	if err != nil || again != dir {
		t.Fatalf("second Snapshot: %s, %v", again, err)
	}
	if got := h.requests()[before:]; len(got) != 1 || !strings.HasPrefix(got[0], "GET /api/models/") {
		t.Errorf("a cached snapshot made requests %v, want only the revision listing", got)
	}
}

func TestSnapshotSelection(t *testing.T) {
	cases := []struct {
		name     string
		patterns []string
		noST     bool // the repository has no safetensors weights
		want     []string
	}{
		{"defaults", nil, false, []string{"config.json", "model.safetensors", "tokenizer.json"}},
		{"defaults_pytorch_fallback", nil, true, []string{"config.json", "pytorch_model.bin", "tokenizer.json"}},
		{"include_json_crosses_folders", []string{"*.json"}, false, []string{"config.json", "onnx/model.json", "tokenizer.json"}},
		{"include_folder", []string{"onnx/"}, false, []string{"onnx/model.json"}},
		{"include_class", []string{"[ct]*.json"}, false, []string{"config.json", "tokenizer.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			repo := mambaRepo(h, "org/m")
			if tc.noST {
				delete(repo.files, "model.safetensors")
				repo.order = slices.DeleteFunc(repo.order, func(f string) bool { return f == "model.safetensors" })
			}
			dir, err := h.client(t.TempDir()).Snapshot(context.Background(), "org/m", "main", tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					got = append(got, filepath.ToSlash(rel))
				}
				return nil
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("downloaded %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResumeAfterDroppedConnection(t *testing.T) {
	h := newFakeHub(t)
	repo := mambaRepo(h, "org/m")
	h.dropOnce["model.safetensors"] = 30_000
	cache := t.TempDir()
	p, err := h.client(cache).Download(context.Background(), "org/m", "main", "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, repo.files["model.safetensors"]) {
		t.Fatal("resumed download differs from the file")
	}
	if !slices.ContainsFunc(h.requests(), func(r string) bool { return strings.HasPrefix(r, "GET /cdn/") && strings.HasSuffix(r, "bytes=30000-") }) {
		t.Errorf("no Range request resumed at byte 30000: %v", h.requests())
	}
}

func TestResumeExistingPartial(t *testing.T) {
	data := weights(100_000)
	corrupt := append([]byte(nil), data...)
	corrupt[10] ^= 1
	cases := []struct {
		name      string
		partial   []byte
		wantCDN   string // the GET the CDN must see ("" for none)
		wantError error
	}{
		{"resume_half", data[:12345], "bytes=12345-", nil},
		{"complete_not_renamed", data, "", nil},
		{"longer_than_file", append(append([]byte(nil), data...), 1, 2, 3), "GET /cdn/", nil},
		{"complete_but_corrupt", corrupt, "", ErrChecksum},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			mambaRepo(h, "org/m")
			cache := t.TempDir()
			partial := newRepoCache(cache, "org/m").blob(sha256Hex(data)) + ".incomplete"
			if err := os.MkdirAll(filepath.Dir(partial), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(partial, tc.partial, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := h.client(cache).Download(context.Background(), "org/m", "main", "model.safetensors")
			if tc.wantError != nil {
				if !errors.Is(err, tc.wantError) {
					t.Fatalf("error %v, want %v", err, tc.wantError)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if b, _ := os.ReadFile(p); !bytes.Equal(b, data) {
				t.Fatal("downloaded file differs")
			}
			var cdn []string
			for _, r := range h.requests() {
				if strings.HasPrefix(r, "GET /cdn/") {
					cdn = append(cdn, r)
				}
			}
			switch {
			case tc.wantCDN == "" && len(cdn) != 0:
				t.Errorf("CDN requests %v, want none", cdn)
			case tc.wantCDN != "" && (len(cdn) != 1 || !strings.Contains(cdn[0], tc.wantCDN)):
				t.Errorf("CDN requests %v, want one with %q", cdn, tc.wantCDN)
			}
			if exists(partial) {
				t.Error("the .incomplete file is still there")
			}
		})
	}
}

func TestChecksumMismatch(t *testing.T) {
	h := newFakeHub(t)
	mambaRepo(h, "org/m")
	h.corrupt["model.safetensors"] = true
	cache := t.TempDir()
	_, err := h.client(cache).Download(context.Background(), "org/m", "main", "model.safetensors")
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "model.safetensors") {
		t.Fatalf("error %v, want ErrChecksum naming the file", err)
	}
	blobs, _ := os.ReadDir(filepath.Join(cache, "models--org--m", "blobs"))
	if len(blobs) != 0 {
		t.Errorf("blobs left after a checksum failure: %v", blobs)
	}
}

func TestErrors(t *testing.T) {
	h := newFakeHub(t)
	mambaRepo(h, "org/m")
	mambaRepo(h, "org/gated").gated = true
	h.token = "hf_good"
	cases := []struct {
		name, repo, rev, file, token string
		want                         error
		msg                          string
	}{
		{"repo_missing", "org/nope", "main", "", "", ErrRepoNotFound, "org/nope@main"},
		{"revision_missing", "org/m", "v9", "", "", ErrRevisionNotFound, "org/m@v9"},
		{"file_missing", "org/m", "main", "nope.json", "", ErrEntryNotFound, "nope.json"},
		{"gated_no_token", "org/gated", "main", "", "", ErrAccess, "set HF_TOKEN"},
		{"gated_bad_token", "org/gated", "main", "", "hf_bad", ErrAccess, "HF_TOKEN given was refused"},
		{"gated_file_no_token", "org/gated", "main", "config.json", "", ErrAccess, "HF_TOKEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.client(t.TempDir())
			c.Token = tc.token
			var err error
			if tc.file == "" {
				_, err = c.Snapshot(context.Background(), tc.repo, tc.rev, nil)
			} else {
				_, err = c.Download(context.Background(), tc.repo, tc.rev, tc.file)
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestGatedWithToken(t *testing.T) {
	h := newFakeHub(t)
	mambaRepo(h, "org/gated").gated = true
	h.token = "hf_good"
	t.Setenv("HF_TOKEN", "hf_good")
	c := h.client(t.TempDir())
	c.Token = NewClient().Token
	if _, err := c.Snapshot(context.Background(), "org/gated", "main", nil); err != nil {
		t.Fatal(err)
	}
}

func TestOffline(t *testing.T) {
	h := newFakeHub(t)
	mambaRepo(h, "org/m")
	cache := t.TempDir()
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_HUB_CACHE", cache)
	off := NewClient()
	if !off.Offline || off.CacheDir != cache {
		t.Fatalf("NewClient ignored HF_HUB_OFFLINE or HF_HUB_CACHE: %+v", off)
	}
	_, err := off.Snapshot(context.Background(), "org/m", "main", nil)
	if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), filepath.Join("models--org--m", "refs", "main")) {
		t.Fatalf("offline and not cached: error %v, want ErrOffline naming the missing ref", err)
	}
	dir, err := h.client(cache).Snapshot(context.Background(), "org/m", "v1.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(h.requests())
	for _, rev := range []string{"v1.0", filepath.Base(dir)} {
		if got, err := off.Snapshot(context.Background(), "org/m", rev, nil); err != nil || got != dir {
			t.Errorf("offline Snapshot @%s = %s, %v; want %s", rev, got, err, dir)
		}
	}
	if _, err := off.Download(context.Background(), "org/m", "v1.0", "config.json"); err != nil {
		t.Errorf("offline Download of a cached file: %v", err)
	}
	_, err = off.Download(context.Background(), "org/m", "v1.0", "pytorch_model.bin")
	if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "pytorch_model.bin") {
		t.Errorf("offline Download of an uncached file: %v, want ErrOffline naming it", err)
	}
	if len(h.requests()) != n {
		t.Errorf("offline calls reached the hub: %v", h.requests()[n:])
	}
}

func TestNetworkFailure(t *testing.T) {
	h := newFakeHub(t)
	mambaRepo(h, "org/m")
	cache := t.TempDir()
	c := h.client(cache)
	down := h.client(cache)
	down.Endpoint = "http://127.0.0.1:1" // nothing listens there
	if _, err := down.Snapshot(context.Background(), "org/m", "main", nil); !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
		t.Fatalf("unreachable hub, empty cache: error %v, want ErrNetwork with the offline hint", err)
	}
	dir, err := c.Snapshot(context.Background(), "org/m", "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := down.Snapshot(context.Background(), "org/m", "main", nil); err != nil || got != dir {
		t.Errorf("unreachable hub, cached snapshot: %s, %v; want %s", got, err, dir)
	}
}

func TestRevisionWithSlash(t *testing.T) {
	h := newFakeHub(t)
	repo := mambaRepo(h, "org/m")
	repo.refs["refs/pr/1"] = repo.commit
	cache := t.TempDir()
	if _, err := h.client(cache).Snapshot(context.Background(), "org/m", "refs/pr/1", []string{"config.json"}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(cache, "models--org--m", "refs", "refs", "pr", "1")); err != nil || string(b) != repo.commit {
		t.Errorf("refs/refs/pr/1 = %q, %v", b, err)
	}
}

func TestRenamedRepoRelativeRedirect(t *testing.T) {
	h := newFakeHub(t)
	repo := mambaRepo(h, "org/new")
	h.renamed["org/old"] = "org/new"
	p, err := h.client(t.TempDir()).Download(context.Background(), "org/old", "main", "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, repo.files["model.safetensors"]) {
		t.Error("content differs")
	}
}
