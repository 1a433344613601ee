package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// commitRE matches a full git commit hash.
var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// repoRE matches a model repository id, "org/name".
var repoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$`)

// DefaultCacheDir returns the huggingface_hub cache root named by the
// environment (see the package doc).
func DefaultCacheDir() string {
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("HUGGINGFACE_HUB_CACHE"); d != "" { // the older name
		return d
	}
	return filepath.Join(hfHome(), "hub")
}

// hfHome returns $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome() string {
	if d := os.Getenv("HF_HOME"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".cache", "huggingface")
}

// ValidRepoID reports whether id is a model repository id "org/name".
func ValidRepoID(id string) bool {
	return len(id) <= 96 && repoRE.MatchString(id) && !strings.Contains(id, "--") && !strings.Contains(id, "..")
}

// repoCache is the cache folder of one model repository.
type repoCache struct {
	root string // <cache>/models--org--name
	lock string // <cache>/.locks/models--org--name
}

func newRepoCache(cacheDir, repo string) repoCache {
	folder := "models--" + strings.ReplaceAll(repo, "/", "--")
	return repoCache{root: filepath.Join(cacheDir, folder), lock: filepath.Join(cacheDir, ".locks", folder)}
}

func (c repoCache) blob(etag string) string { return filepath.Join(c.root, "blobs", etag) }
func (c repoCache) snapshot(commit string) string {
	return filepath.Join(c.root, "snapshots", commit)
}
func (c repoCache) pointer(commit, file string) string {
	return filepath.Join(c.snapshot(commit), filepath.FromSlash(file))
}
func (c repoCache) ref(revision string) string {
	return filepath.Join(c.root, "refs", filepath.FromSlash(revision))
}

// commitOf returns the commit a revision names: itself if it is a commit hash,
// else the content of refs/<revision>; ok is false when the ref is not cached.
func (c repoCache) commitOf(revision string) (commit string, ok bool, err error) {
	if commitRE.MatchString(revision) {
		return revision, true, nil
	}
	b, err := os.ReadFile(c.ref(revision))
	if os.IsNotExist(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	commit = strings.TrimSpace(string(b))
	if !commitRE.MatchString(commit) {
		return "", false, fmt.Errorf("hub cache %s: %q is not a commit hash", c.ref(revision), commit)
	}
	return commit, true, nil
}

// writeRef records that revision points at commit (nothing to do when the
// revision is the commit).
func (c repoCache) writeRef(revision, commit string) error {
	if revision == commit {
		return nil
	}
	path := c.ref(revision)
	if b, err := os.ReadFile(path); err == nil && string(b) == commit {
		return nil
	}
	return writeFileAtomic(path, []byte(commit))
}

// link points snapshots/<commit>/<file> at blobs/<etag> with a relative
// symlink, as huggingface_hub does, replacing what was there.
func (c repoCache) link(commit, file, etag string) (string, error) {
	ptr := c.pointer(commit, file)
	if err := os.MkdirAll(filepath.Dir(ptr), 0o755); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(filepath.Dir(ptr), c.blob(etag))
	if err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.tmp-link-%d", ptr, os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return "", fmt.Errorf("hub cache: link %s: %w", ptr, err)
	}
	if err := os.Rename(tmp, ptr); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("hub cache: link %s: %w", ptr, err)
	}
	return ptr, nil
}

// exists reports whether path names an existing file (following symlinks).
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write %s: %v", path, firstErr(werr, cerr))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
