// Package hub downloads model repositories from the Hugging Face Hub into the
// cache that the Python huggingface_hub library uses, so that files fetched by
// steady are found by transformers and the other way round.
//
// # Cache layout
//
// The cache root is $HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. Inside it a
// model repository org/name lives in models--org--name:
//
//	blobs/<etag>                  file contents, named by the hub's ETag: the
//	                              sha256 of LFS files, the git blob sha1 of others
//	snapshots/<commit>/<file>     relative symlinks into blobs, one tree per commit
//	refs/<revision>               the commit a branch or tag pointed at when last seen
//
// A partial download is blobs/<etag>.incomplete; it is resumed with an HTTP
// Range request, checksummed against the ETag (sha256 or git sha1) when
// complete, and renamed into place. Concurrent downloads of one blob, from
// steady or Python, are serialised by a lock file
// .locks/models--org--name/<etag>.lock, as huggingface_hub does.
//
// # Protocol
//
// A revision (branch, tag or commit) is listed with
// GET {endpoint}/api/models/{repo}/revision/{revision}, which returns the
// commit ("sha") and the files ("siblings"). A file's metadata comes from
// HEAD {endpoint}/{repo}/resolve/{revision}/{file}: X-Repo-Commit, and
// X-Linked-Etag / X-Linked-Size for LFS files (whose GET redirects to a CDN)
// or ETag / Content-Length for the others. Redirects answering HEAD are
// followed only when relative (a renamed repository), so that the LFS
// headers of the hub's own answer are kept.
//
// # Environment
//
// HF_ENDPOINT replaces https://huggingface.co. HF_TOKEN (else the token file
// that `huggingface-cli login` writes, $HF_TOKEN_PATH or $HF_HOME/token) is
// sent as "Authorization: Bearer". HF_HUB_OFFLINE=1 serves from the cache only
// and fails with ErrOffline, naming what is missing, instead of reaching the
// network. When the hub cannot be reached a revision already in the cache is
// served from it.
package hub
