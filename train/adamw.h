// Shared between adamw.c and adamw_cgo.go: AdamW's element-wise update.

// steady_adamw_scalars are adamScalars of adamw.go: one step's float32
// constants, in the same order.
typedef struct {
	float decay;      // fl32(1 − lr·wd)
	float beta1;      // fl32(β1)
	float one_minus1; // fl32(1 − β1)
	float beta2;      // fl32(β2)
	float one_minus2; // fl32(1 − β2)
	float bc2_sqrt;   // fl32(√(1 − β2^t))
	float eps;        // fl32(ε)
	float neg_step;   // fl32(−lr/(1 − β1^t))
} steady_adamw_scalars;

// steady_adamw_update applies one AdamW step to the n elements of the
// parameter p, its gradient g and its moments m (exp_avg) and v (exp_avg_sq),
// in place; the four arrays do not overlap.
void steady_adamw_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, long n,
                         steady_adamw_scalars s);
