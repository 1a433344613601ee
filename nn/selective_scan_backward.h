// Shared between selective_scan_backward.c and selective_scan_backward_cgo.go.

// One call runs the backward of channels [d0, d0+nd) of one sequence on the
// block's gathered columns (scanBackwardScratch in selective_scan_backward.go).
// Every pointer is already offset to channel d0 (a, d, delta_bias, da, dd,
// ddelta_bias) and to the sequence's first row (b, c, db, dc).
typedef struct {
	const float *a;          // A: (nd, n)
	const float *d;          // D: (nd) or NULL
	const float *delta_bias; // (nd) or NULL
	const float *u, *delta, *z, *dout; // (nd, seq) channel-major; z may be NULL
	const float *b, *c;      // B, C: (seq, ·) rows with strides ldb, ldc
	float *du, *ddelta, *dz; // (nd, seq) channel-major, written; dz NULL exactly when z is
	float *da;               // dA: (nd, n), accumulated
	float *dd, *ddelta_bias; // (nd) accumulated, or NULL
	float *db, *dc;          // (seq, n) packed, accumulated
	float *h, *abar, *g;     // scratch: (seq+1, n), (seq, n), (n)
	float *dt, *spgrad;      // scratch: (seq)
	long ldb, ldc, seq;
	int n, nd, delta_softplus;
} steady_scan_bwd_call;

void steady_scan_backward_channels(const steady_scan_bwd_call *c);

// steady_scan_backward_channels_args is steady_scan_backward_channels with the
// fields as arguments: cgo may pass Go pointers as arguments but not inside a
// struct.
void steady_scan_backward_channels_args(const float *a, const float *d, const float *delta_bias, const float *u,
                                        const float *delta, const float *z, const float *dout, const float *b,
                                        const float *c, float *du, float *ddelta, float *dz, float *da, float *dd,
                                        float *ddelta_bias, float *db, float *dc, float *h, float *abar, float *g,
                                        float *dt, float *spgrad, long ldb, long ldc, long seq, int n, int nd,
                                        int delta_softplus);
