package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultCacheDir(t *testing.T) {
	cases := []struct {
		name                      string
		hubCache, hfHome, xdgHome string
		want                      string
	}{
		{"hf_hub_cache_wins", "/c/hub", "/h", "/x", "/c/hub"},
		{"hf_home", "", "/h", "/x", "/h/hub"},
		{"xdg_cache_home", "", "", "/x", "/x/huggingface/hub"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HUGGINGFACE_HUB_CACHE", "")
			t.Setenv("HF_HUB_CACHE", tc.hubCache)
			t.Setenv("HF_HOME", tc.hfHome)
			t.Setenv("XDG_CACHE_HOME", tc.xdgHome)
			if got := DefaultCacheDir(); got != filepath.FromSlash(tc.want) {
				t.Errorf("DefaultCacheDir() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTokenFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", "")
	if err := os.WriteFile(filepath.Join(home, "token"), []byte("hf_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := NewClient().Token; got != "hf_fromfile" {
		t.Errorf("token %q, want the one huggingface-cli login wrote", got)
	}
	t.Setenv("HF_TOKEN", "hf_env")
	if got := NewClient().Token; got != "hf_env" {
		t.Errorf("token %q, want HF_TOKEN's", got)
	}
}

func TestParseRef(t *testing.T) {
	cases := []struct {
		ref, repo, rev string
		ok             bool
	}{
		{"state-spaces/mamba-130m-hf", "state-spaces/mamba-130m-hf", "main", true},
		{"EleutherAI/pythia-160m@step1000", "EleutherAI/pythia-160m", "step1000", true},
		{"org/name@refs/pr/1", "org/name", "refs/pr/1", true},
		{"org/name@", "org/name", "main", true},
		{"gpt2", "", "", false},
		{"a/b/c", "", "", false},
		{"org--x/name", "", "", false},
		{"org/name@../../etc", "", "", false},
		{"/abs/path", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			repo, rev, err := ParseRef(tc.ref)
			if (err == nil) != tc.ok || repo != tc.repo || rev != tc.rev {
				t.Errorf("ParseRef(%q) = %q, %q, %v; want %q, %q, ok=%v", tc.ref, repo, rev, err, tc.repo, tc.rev, tc.ok)
			}
		})
	}
}

func TestFnmatch(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*.json", "config.json", true},
		{"*.json", "onnx/config.json", true},
		{"*.json", "config.json.bak", false},
		{"model-?????-of-*.safetensors", "model-00001-of-00002.safetensors", true},
		{"[!t]*.json", "tokenizer.json", false},
		{"[!t]*.json", "config.json", true},
		{"onnx/", "onnx/model.onnx", true},
		{"a+b.txt", "a+b.txt", true},
		{"a+b.txt", "aab.txt", false},
	}
	for _, tc := range cases {
		t.Run(tc.pattern+"~"+tc.name, func(t *testing.T) {
			if got := fnmatch(tc.pattern).MatchString(tc.name); got != tc.want {
				t.Errorf("fnmatch(%q) on %q = %v, want %v", tc.pattern, tc.name, got, tc.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	h := newFakeHub(t)
	repo := mambaRepo(h, "org/m")
	cache := t.TempDir()
	c := h.client(cache)
	local := t.TempDir()
	file := filepath.Join(local, "config.json")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(cache, "models--org--m", "snapshots", repo.commit)
	cases := []struct {
		name, ref, want, errMsg string
	}{
		{"local_dir", local, local, ""},
		{"local_file", file, "", "is a file"},
		{"missing_relative_dir", "./no-such-dir", "", "no such directory"},
		{"missing_bare_name", "no-such-dir", "", "no such directory"},
		{"hub_id", "org/m", snapshot, ""},
		{"hub_id_at_tag", "org/m@v1.0", snapshot, ""},
		{"hub_id_missing", "org/absent", "", "repository not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Resolve(context.Background(), tc.ref)
			if tc.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMsg) || !strings.Contains(err.Error(), tc.ref) {
					t.Errorf("Resolve(%q) error %v, want one naming it and saying %q", tc.ref, err, tc.errMsg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q) = %s, %v; want %s", tc.ref, got, err, tc.want)
			}
		})
	}
}
