package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// DefaultEndpoint is the Hugging Face Hub.
const DefaultEndpoint = "https://huggingface.co"

// Errors a caller can test with errors.Is. Each returned error wraps one of
// them and names the repository, revision or file involved.
var (
	ErrRepoNotFound     = errors.New("repository not found")
	ErrRevisionNotFound = errors.New("revision not found")
	ErrEntryNotFound    = errors.New("file not found in the repository")
	ErrAccess           = errors.New("access denied")
	ErrOffline          = errors.New("not in the cache and HF_HUB_OFFLINE is set")
	ErrNetwork          = errors.New("cannot reach the hub")
	ErrChecksum         = errors.New("checksum mismatch")
)

// Client talks to a Hugging Face Hub and keeps files in a huggingface_hub cache.
// The zero value is not usable: start from NewClient.
type Client struct {
	// Endpoint is the hub's base URL, without a trailing slash.
	Endpoint string
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
	// CacheDir is the cache root (see DefaultCacheDir).
	CacheDir string
	// Offline serves from the cache only.
	Offline bool
	// HTTP makes the requests.
	HTTP *http.Client
	// Retries is how many times a broken download is resumed before giving up.
	Retries int
	// RetryWait is the pause before the first retry; it doubles each time.
	RetryWait time.Duration
	// ProgressOut receives the download progress (nil: stderr; io.Discard: none).
	ProgressOut io.Writer
}

// NewClient returns a Client configured from the environment: HF_ENDPOINT,
// HF_TOKEN (or the token file), the cache variables and HF_HUB_OFFLINE.
func NewClient() *Client {
	endpoint := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	return &Client{
		Endpoint:  endpoint,
		Token:     envToken(),
		CacheDir:  DefaultCacheDir(),
		Offline:   truthy(os.Getenv("HF_HUB_OFFLINE")),
		HTTP:      &http.Client{Transport: transport()},
		Retries:   5,
		RetryWait: time.Second,
	}
}

// transport is http.DefaultTransport with a bound on the wait for an answer,
// so that a hub that accepts the connection but never answers fails the pull
// instead of hanging it.
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}

// httpClient returns c.HTTP, or http.DefaultClient when it is nil.
func (c *Client) httpClient() *http.Client {
	if c.HTTP == nil {
		return http.DefaultClient
	}
	return c.HTTP
}

// envToken returns $HF_TOKEN, else the content of the token file.
func envToken() string {
	if t := os.Getenv("HF_TOKEN"); t != "" {
		return t
	}
	p := os.Getenv("HF_TOKEN_PATH")
	if p == "" {
		p = filepath.Join(hfHome(), "token")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func truthy(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// resolveURL is {endpoint}/{repo}/resolve/{revision}/{file}.
func (c *Client) resolveURL(repo, revision, file string) string {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return c.Endpoint + "/" + repo + "/resolve/" + url.PathEscape(revision) + "/" + strings.Join(segs, "/")
}

// revisionURL is {endpoint}/api/models/{repo}/revision/{revision}.
func (c *Client) revisionURL(repo, revision string) string {
	return c.Endpoint + "/api/models/" + repo + "/revision/" + url.PathEscape(revision)
}

// newRequest builds a request carrying the token and the user agent.
func (c *Client) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "steady; hf_hub-compatible")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// networkError wraps a transport failure in ErrNetwork.
func (c *Client) networkError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w %s (%v); set HF_HUB_OFFLINE=1 to use the cache only", what, ErrNetwork, c.Endpoint, err)
}

// statusError turns a failed hub answer into an error wrapping one of the
// sentinel errors. what names the repository, revision or file asked for;
// notFound is the error a plain 404 stands for.
func (c *Client) statusError(resp *http.Response, what string, notFound error) error {
	msg := resp.Header.Get("X-Error-Message")
	if msg == "" && resp.Request != nil && resp.Request.Method != http.MethodHead {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		msg = strings.TrimSpace(string(b))
	}
	if msg != "" {
		msg = " (hub says: " + msg + ")"
	}
	tokenHint := "set HF_TOKEN to a token that can read it"
	if c.Token != "" {
		tokenHint = "the HF_TOKEN given was refused or lacks access"
	}
	switch code := resp.Header.Get("X-Error-Code"); {
	case code == "GatedRepo":
		return fmt.Errorf("%s: %w: a gated repository: accept its conditions on the hub, then %s%s", what, ErrAccess, tokenHint, msg)
	case code == "RepoNotFound":
		return fmt.Errorf("%s: %w (if it is private, %s)%s", what, ErrRepoNotFound, tokenHint, msg)
	case code == "RevisionNotFound":
		return fmt.Errorf("%s: %w%s", what, ErrRevisionNotFound, msg)
	case code == "EntryNotFound":
		return fmt.Errorf("%s: %w%s", what, ErrEntryNotFound, msg)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: %w (HTTP %d): gated or private: %s%s", what, ErrAccess, resp.StatusCode, tokenHint, msg)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s: %w (HTTP 404)%s", what, notFound, msg)
	}
	return fmt.Errorf("%s: hub answered HTTP %d%s", what, resp.StatusCode, msg)
}

// validFile reports whether a repository file name is a relative path that
// stays inside the snapshot (no "..", no absolute path).
func validFile(name string) bool {
	return name != "" && !strings.HasPrefix(name, "/") && !strings.Contains(name, "\\") &&
		path.Clean(name) == name && name != "." && !strings.HasPrefix(name, "../") && name != ".."
}

// validRevision reports whether a revision can name a refs/ file safely.
func validRevision(rev string) bool {
	return validFile(rev) && !strings.Contains(rev, "..")
}
