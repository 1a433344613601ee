// Shared between elementwise.c and elementwise_cgo.go: the element-wise
// activation and loss kernels. Every pointer is to n float32 elements; the
// activations allow dst to alias x (dx to alias dy); see the Go doc comments
// of SiLU, SiLUBackward, GELU, GELUBackward and crossEntropyRow.
void steady_silu(float *dst, const float *x, long n);
void steady_silu_backward(float *dx, const float *dy, const float *x, long n);
void steady_gelu(float *dst, const float *x, long n);
void steady_gelu_backward(float *dx, const float *dy, const float *x, long n);

// steady_softmax_sums is a row's max m = max_j x_j and s = Σ_j e^{x_j − m}
// (accumulated in double).
typedef struct {
	double sum;
	float max;
} steady_softmax_sums;

// steady_softmax_row returns the max and sum of the n > 0 logits x and, when
// d is not NULL, writes d_j = grad_scale·e^{x_j − m} / s. d may alias x.
steady_softmax_sums steady_softmax_row(float *d, const float *x, long n, float grad_scale);
