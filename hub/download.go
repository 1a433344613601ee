package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/steady-ml/steady/internal/progress"
)

// fileMeta is what a HEAD on a resolve URL tells about one file.
type fileMeta struct {
	commit string // X-Repo-Commit
	etag   string // X-Linked-Etag or ETag, without quotes or W/
	size   int64  // X-Linked-Size or Content-Length; -1 if unknown
}

// Download fetches one file of repo at revision (a branch, tag or commit) into
// the cache, like huggingface_hub's hf_hub_download, and returns the path of
// its snapshot entry. Offline, or when the hub cannot be reached, the cached
// file is returned if the cache has it.
func (c *Client) Download(ctx context.Context, repo, revision, file string) (string, error) {
	if revision == "" {
		revision = "main"
	}
	what := fmt.Sprintf("%s@%s: %s", repo, revision, file)
	if !ValidRepoID(repo) || !validRevision(revision) || !validFile(file) {
		return "", fmt.Errorf("%s: invalid repository id, revision or file name", what)
	}
	rc := newRepoCache(c.CacheDir, repo)
	if c.Offline {
		return c.cachedFile(rc, revision, file, what, ErrOffline)
	}
	if commitRE.MatchString(revision) && exists(rc.pointer(revision, file)) {
		return rc.pointer(revision, file), nil
	}
	meta, err := c.head(ctx, repo, revision, file, what)
	if errors.Is(err, ErrNetwork) {
		if p, cerr := c.cachedFile(rc, revision, file, what, err); cerr == nil {
			slog.Warn("hub unreachable: using the cached file", "file", p, "error", err)
			return p, nil
		}
		return "", err
	}
	if err != nil {
		return "", err
	}
	if err := rc.writeRef(revision, meta.commit); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	ptr := rc.pointer(meta.commit, file)
	if exists(ptr) {
		return ptr, nil
	}
	if !exists(rc.blob(meta.etag)) {
		if err := c.fetchBlob(ctx, rc, c.resolveURL(repo, meta.commit, file), meta, file); err != nil {
			return "", err
		}
	}
	return rc.link(meta.commit, file, meta.etag)
}

// cachedFile returns the snapshot entry of file for revision, or an error
// wrapping cause that says what is missing from the cache.
func (c *Client) cachedFile(rc repoCache, revision, file, what string, cause error) (string, error) {
	commit, ok, err := rc.commitOf(revision)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s: %w: no %s", what, cause, rc.ref(revision))
	}
	ptr := rc.pointer(commit, file)
	if !exists(ptr) {
		return "", fmt.Errorf("%s: %w: no %s", what, cause, ptr)
	}
	return ptr, nil
}

// head asks the hub for a file's commit, ETag and size, following only
// relative redirects so the hub's own LFS headers are kept.
func (c *Client) head(ctx context.Context, repo, revision, file, what string) (fileMeta, error) {
	u := c.resolveURL(repo, revision, file)
	noRedirect := *c.httpClient()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for range 5 {
		req, err := c.newRequest(ctx, http.MethodHead, u)
		if err != nil {
			return fileMeta{}, err
		}
		req.Header.Set("Accept-Encoding", "identity") // the real size, not a compressed one
		resp, err := noRedirect.Do(req)
		if err != nil {
			return fileMeta{}, c.networkError(what, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if loc, ok := relativeLocation(resp); ok {
				u = req.URL.ResolveReference(loc).String()
				continue
			}
		} else if resp.StatusCode >= 400 {
			return fileMeta{}, c.statusError(resp, what, ErrEntryNotFound)
		}
		return parseMeta(resp, what)
	}
	return fileMeta{}, fmt.Errorf("%s: too many redirects", what)
}

// relativeLocation returns the Location of a redirect when it is a relative
// URL (a renamed repository); huggingface_hub follows only those on HEAD.
func relativeLocation(resp *http.Response) (*url.URL, bool) {
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return nil, false
	}
	return loc, !loc.IsAbs() && loc.Host == ""
}

func parseMeta(resp *http.Response, what string) (fileMeta, error) {
	m := fileMeta{commit: resp.Header.Get("X-Repo-Commit"), size: -1}
	etag := resp.Header.Get("X-Linked-Etag")
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	m.etag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	size := resp.Header.Get("X-Linked-Size")
	if size == "" {
		size = resp.Header.Get("Content-Length")
	}
	if n, err := strconv.ParseInt(size, 10, 64); err == nil {
		m.size = n
	}
	if !commitRE.MatchString(m.commit) || m.etag == "" || strings.ContainsAny(m.etag, "/\\") || strings.Contains(m.etag, "..") {
		return m, fmt.Errorf("%s: the answer of %s lacks a valid X-Repo-Commit or ETag: is HF_ENDPOINT a Hugging Face hub?",
			what, resp.Request.URL.Redacted())
	}
	return m, nil
}

// fetchBlob downloads u into blobs/<etag>: under the blob's lock, resuming
// blobs/<etag>.incomplete, checking the checksum, renaming when complete.
func (c *Client) fetchBlob(ctx context.Context, rc repoCache, u string, meta fileMeta, file string) error {
	blob := rc.blob(meta.etag)
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(rc.lock, meta.etag+".lock"))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	defer unlock()
	if exists(blob) { // another process finished it while we waited
		return nil
	}
	partial := blob + ".incomplete"
	bar := progress.NewWith(meta.size, file, progress.Bytes, progress.Options{Out: c.ProgressOut})
	defer bar.Finish()
	wait := c.RetryWait
	for attempt := 0; ; attempt++ {
		err = c.fetchOnce(ctx, u, partial, meta, file, bar)
		if err == nil || !retryable(err) || attempt >= c.Retries || ctx.Err() != nil {
			break
		}
		slog.Warn("download interrupted: resuming", "file", file, "attempt", attempt+1, "error", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait *= 2
	}
	if err != nil {
		return err
	}
	if err := verify(partial, meta, file); err != nil {
		_ = os.Remove(partial)
		return err
	}
	return os.Rename(partial, blob)
}

// errRetry marks a failure after which the download may be resumed.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

func retryable(err error) bool {
	var r errRetry
	return errors.As(err, &r)
}

// fetchOnce appends to partial what the server sends after its current size.
func (c *Client) fetchOnce(ctx context.Context, u, partial string, meta fileMeta, file string, bar *progress.Bar) error {
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if meta.size >= 0 && have > meta.size { // not the same file: start again
		if have, err = 0, f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	if meta.size >= 0 && have == meta.size { // complete, but not yet checked and renamed
		bar.Skip(have - bar.Done())
		return nil
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return err
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return errRetry{c.networkError(file, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && contentRangeStart(resp) == have:
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent ||
		resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// no resume: the server sends the whole file, or refused the range or
		// answered another one (then retry from byte 0)
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return errRetry{fmt.Errorf("%s: the server did not resume at byte %d (HTTP %d, Content-Range %q)",
				file, have, resp.StatusCode, resp.Header.Get("Content-Range"))}
		}
		have = 0
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return errRetry{c.statusError(resp, file, ErrEntryNotFound)}
	default:
		return c.statusError(resp, file, ErrEntryNotFound)
	}
	bar.Skip(have - bar.Done())
	if n, err := io.Copy(io.MultiWriter(f, bar), resp.Body); err != nil {
		return errRetry{fmt.Errorf("%s: %w: download interrupted at byte %d: %w", file, ErrNetwork, have+n, err)}
	}
	return f.Close()
}

// contentRangeStart returns the first byte of a 206 answer, -1 if unreadable.
func contentRangeStart(resp *http.Response) int64 {
	var start, end, total int64
	cr := resp.Header.Get("Content-Range")
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil {
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/*", &start, &end); err != nil {
			return -1
		}
	}
	return start
}

// verify checks a complete download against the size and the ETag: the
// sha256 of an LFS file, the git blob sha1 of a regular one. Other ETags
// (a non-hub server) are not checksums and are not checked.
func verify(path string, meta fileMeta, file string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if meta.size >= 0 && info.Size() != meta.size {
		return fmt.Errorf("%s: %w: %d bytes downloaded, the hub announced %d", file, ErrChecksum, info.Size(), meta.size)
	}
	var h hash.Hash
	switch {
	case len(meta.etag) == 64 && isHex(meta.etag):
		h = sha256.New()
	case len(meta.etag) == 40 && isHex(meta.etag):
		h = sha1.New()
		fmt.Fprintf(h, "blob %d\x00", info.Size())
	default:
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != meta.etag {
		return fmt.Errorf("%s: %w: content hashes to %s, the hub's ETag is %s; the partial download was deleted", file, ErrChecksum, got, meta.etag)
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
