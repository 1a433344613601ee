// Shared between conv1d.c and conv1d_cgo.go: the depthwise causal conv over
// whole sequences from a zero past, on channels c0 ≤ c < c1. wt and dwt are
// the weight and its gradient transposed to (width, ch), so that the loops
// over channels are contiguous; see CausalConv1d.Forward and Backward.
void steady_conv_forward(float *out, long ldo, const float *x, long ldx, const float *wt, const float *bias, long batch,
                         long seq, long ch, int w, long c0, long c1);
void steady_conv_backward(float *dx, long lddx, float *dwt, float *dbias, const float *dout, long lddo, const float *x,
                          long ldx, const float *wt, long batch, long seq, long ch, int w, long c0, long c1);
