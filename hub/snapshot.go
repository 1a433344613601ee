package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
)

// DefaultPatterns select what a model needs: its configuration and tokenizer
// files and its weights, at the top of the repository. Repositories without
// safetensors weights get their PyTorch ones (pytorch_model*.bin) instead.
var DefaultPatterns = []string{"*.json", "*.safetensors", "*.txt", "*.model"}

// revisionInfo is the part of /api/models/{repo}/revision/{revision} we use.
type revisionInfo struct {
	SHA      string `json:"sha"`
	Siblings []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

// Snapshot downloads the files of repo at revision (a branch, tag or commit;
// "" means main) that match patterns, like huggingface_hub's
// snapshot_download, and returns the snapshot directory. Patterns are
// fnmatch-style as in huggingface_hub's allow_patterns ('*' also matches '/');
// nil means DefaultPatterns, applied to top-level files only. Offline, or when
// the hub cannot be reached, a snapshot already in the cache is returned.
func (c *Client) Snapshot(ctx context.Context, repo, revision string, patterns []string) (string, error) {
	if revision == "" {
		revision = "main"
	}
	what := repo + "@" + revision
	if !ValidRepoID(repo) {
		return "", fmt.Errorf("%q is not a model repository id (org/name)", repo)
	}
	if !validRevision(revision) {
		return "", fmt.Errorf("%s: invalid revision", what)
	}
	rc := newRepoCache(c.CacheDir, repo)
	if c.Offline {
		return c.cachedSnapshot(rc, revision, what, ErrOffline)
	}
	info, err := c.revision(ctx, repo, revision, what)
	if errors.Is(err, ErrNetwork) {
		if dir, cerr := c.cachedSnapshot(rc, revision, what, err); cerr == nil {
			slog.Warn("hub unreachable: using the cached snapshot", "dir", dir, "error", err)
			return dir, nil
		}
		return "", err
	}
	if err != nil {
		return "", err
	}
	if err := rc.writeRef(revision, info.SHA); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	files, err := selectFiles(info, patterns)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("%s: %w: no file matches %s", what, ErrEntryNotFound, strings.Join(orDefault(patterns), " "))
	}
	for _, f := range files {
		if _, err := c.Download(ctx, repo, info.SHA, f); err != nil {
			return "", err
		}
	}
	return rc.snapshot(info.SHA), nil
}

// cachedSnapshot returns the cached snapshot of revision, or an error wrapping
// cause that says what is missing.
func (c *Client) cachedSnapshot(rc repoCache, revision, what string, cause error) (string, error) {
	commit, ok, err := rc.commitOf(revision)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s: %w: no %s (pull it once with the network)", what, cause, rc.ref(revision))
	}
	dir := rc.snapshot(commit)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return "", fmt.Errorf("%s: %w: no %s", what, cause, dir)
	}
	return dir, nil
}

// revision lists the commit and files of a revision.
func (c *Client) revision(ctx context.Context, repo, revision, what string) (revisionInfo, error) {
	req, err := c.newRequest(ctx, http.MethodGet, c.revisionURL(repo, revision))
	if err != nil {
		return revisionInfo{}, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return revisionInfo{}, c.networkError(what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return revisionInfo{}, c.statusError(resp, what, ErrRepoNotFound)
	}
	var info revisionInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return revisionInfo{}, fmt.Errorf("%s: revision listing: %w", what, err)
	}
	if !commitRE.MatchString(info.SHA) {
		return revisionInfo{}, fmt.Errorf("%s: revision listing has no commit hash (sha %q)", what, info.SHA)
	}
	return info, nil
}

// selectFiles returns the repository files to download, in listing order.
func selectFiles(info revisionInfo, patterns []string) ([]string, error) {
	var all []string
	for _, s := range info.Siblings {
		if !validFile(s.RFilename) {
			return nil, fmt.Errorf("revision listing names an unsafe file %q", s.RFilename)
		}
		all = append(all, s.RFilename)
	}
	if patterns != nil {
		return match(all, patterns, false), nil
	}
	files := match(all, DefaultPatterns, true)
	hasSafetensors := false
	for _, f := range files {
		hasSafetensors = hasSafetensors || strings.HasSuffix(f, ".safetensors")
	}
	if !hasSafetensors {
		files = append(files, match(all, []string{"pytorch_model*.bin"}, true)...)
	}
	return files, nil
}

// match returns the files matching any pattern; topOnly skips files in folders.
func match(files, patterns []string, topOnly bool) []string {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = fnmatch(p)
	}
	var out []string
	for _, f := range files {
		if topOnly && strings.Contains(f, "/") {
			continue
		}
		for _, re := range res {
			if re.MatchString(f) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// fnmatch compiles a Python fnmatch pattern: '*' matches any run of
// characters ('/' included), '?' one character, [...] a class. A pattern
// ending in '/' matches everything below that folder, as in huggingface_hub.
func fnmatch(p string) *regexp.Regexp {
	if strings.HasSuffix(p, "/") {
		p += "*"
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(p[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := p[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil { // an odd class: match the pattern literally
		return regexp.MustCompile("^" + regexp.QuoteMeta(p) + "$")
	}
	return re
}

func orDefault(patterns []string) []string {
	if patterns == nil {
		return DefaultPatterns
	}
	return patterns
}

// ParseRef splits "org/name[@revision]" into the repository id and the
// revision ("main" when absent).
func ParseRef(ref string) (repo, revision string, err error) {
	repo, revision, found := strings.Cut(ref, "@")
	if !found || revision == "" {
		revision = "main"
	}
	if !ValidRepoID(repo) {
		return "", "", fmt.Errorf("%q is not a hub model id (org/name[@revision])", ref)
	}
	if !validRevision(revision) {
		return "", "", fmt.Errorf("%q: invalid revision %q", ref, revision)
	}
	return repo, revision, nil
}

// Resolve turns the --model argument of a command into a local directory: an
// existing folder is returned as is; "org/name[@revision]" is served from the
// cache or downloaded (DefaultPatterns).
func (c *Client) Resolve(ctx context.Context, ref string) (string, error) {
	if info, err := os.Stat(ref); err == nil {
		if !info.IsDir() {
			return "", fmt.Errorf("model %s is a file, not a checkpoint directory", ref)
		}
		return ref, nil
	}
	id, _, _ := strings.Cut(ref, "@")
	if path.IsAbs(ref) || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "~") || strings.Count(id, "/") != 1 {
		return "", fmt.Errorf("model %s: no such directory (and not a hub id org/name[@revision])", ref)
	}
	repo, revision, err := ParseRef(ref)
	if err != nil {
		return "", fmt.Errorf("model %s: no such directory, and %w", ref, err)
	}
	return c.Snapshot(ctx, repo, revision, nil)
}

// Resolve is NewClient().Resolve with a background context.
func Resolve(ref string) (string, error) {
	return NewClient().Resolve(context.Background(), ref)
}
