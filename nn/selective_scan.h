// Shared between selective_scan.c and selective_scan_cgo.go.
#define STEADY_SCAN_BLOCK 16     // channels per call: scanBlock in selective_scan.go
#define STEADY_SCAN_MAX_STATE 64 // largest d_state the C kernel takes

// One call scans channels [d0, d0+nd) of one sequence. Every pointer is
// already offset to that sequence's first row and to channel d0 (a, d,
// delta_bias, state too); ld* are row strides in elements.
typedef struct {
	const float *a;          // A: (nd, n)
	const float *d;          // D: (nd) or NULL
	const float *delta_bias; // (nd) or NULL
	const float *u, *delta, *b, *c, *z; // (seq, ·) rows; z may be NULL
	float *out;              // (seq, nd) rows
	float *state;            // h: (nd, n) in/out, or NULL
	long ldu, lddelta, ldb, ldc, ldz, ldout;
	long seq;
	int n, nd, delta_softplus;
} steady_scan_call;

void steady_scan_channels(const steady_scan_call *c);

// steady_scan_range scans items [it0, it1), item = sequence·blocks + block
// with blocks = ⌈dinner/STEADY_SCAN_BLOCK⌉, with tensors given from their
// start (shapes as nn.ScanArgs; d, delta_bias, z, state may be NULL). The
// tensors are arguments, not a struct, because cgo may pass Go pointers only
// as arguments.
void steady_scan_range(const float *a, const float *d, const float *delta_bias, const float *u, const float *delta,
                       const float *b, const float *c, const float *z, float *out, float *state, long ldu, long lddelta,
                       long ldb, long ldc, long ldz, long ldout, long seq, int n, int dinner, int delta_softplus, long it0,
                       long it1);
