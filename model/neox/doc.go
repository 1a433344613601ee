// Package neox is GPT-NeoX / Pythia (Hugging Face GPTNeoXForCausalLM): the
// configuration, the parameters looked up by checkpoint name (Params), the
// forward pass (Forward, ForwardInto), key/value-cache decoding (State),
// the loss gradient (LossAndGrad, backward.go) and autocast (SetPrecision,
// precision.go). It does no I/O; weights come through model.Weights.
//
// The block (transformers v4.40.2 modeling_gpt_neox.py, eager attention):
//
//	a = dense(attn(rotary(qkv(ln1(x)))))
//	parallel:   x ← (mlp(ln2(x)) + a) + x
//	sequential: x ← a + x;  x ← mlp(ln2(x)) + x
//	mlp(h) = dense_4h_to_h(gelu(dense_h_to_4h(h)))
//
// and the model is logits = embed_out(final_layer_norm(blocks(embed_in(tokens)))).
//
// Glossary (Go name ↔ symbol ↔ checkpoint tensor; names.go is the only table
// of checkpoint names):
//
//	embedIn   E_in     gpt_neox.embed_in.weight                       (vocab, hidden)
//	ln1       LN₁      gpt_neox.layers.i.input_layernorm.{weight,bias}            (hidden)
//	ln2       LN₂      gpt_neox.layers.i.post_attention_layernorm.{weight,bias}   (hidden)
//	qkv       W_qkv    gpt_neox.layers.i.attention.query_key_value.{weight,bias}  (3·hidden, hidden)
//	dense     W_o      gpt_neox.layers.i.attention.dense.{weight,bias}            (hidden, hidden)
//	fc1       W_1      gpt_neox.layers.i.mlp.dense_h_to_4h.{weight,bias}          (intermediate, hidden)
//	fc2       W_2      gpt_neox.layers.i.mlp.dense_4h_to_h.{weight,bias}          (hidden, intermediate)
//	finalLN   LN_f     gpt_neox.final_layer_norm.{weight,bias}                    (hidden)
//	embedOut  E_out    embed_out.weight                               (vocab, hidden)
//
// query_key_value's output rows are interleaved per head,
// [head0: q k v | head1: q k v | …], each part head_size wide, not
// [all q | all k | all v]. Rotary embedding rotates the first rotary_ndims =
// int(head_size·rotary_pct) dims of q and k in the rotate-half layout.
//
// Precision: parameters, gradients and the key/value cache are float32;
// LayerNorm moments, the softmax normaliser and the cross-entropy's
// log-sum-exp accumulate in float64. By default activations are float32.
// SetPrecision (precision.go) switches to bf16 or f16 autocast, PyTorch CPU
// autocast's dtype flow with each half tensor computed in float32 from half
// operands and rounded once (the fixtures' `clean` arithmetic): the linear
// layers, attention scores, probabilities and context, gelu, the parallel
// branch sum and the logits are half; embed_in, the residual stream, the
// LayerNorms, rotary's output and the loss stay float32. A bf16 model is
// something else: a float32 model whose weights were rounded to bf16 (its
// logits stay within the fixture's divergence tolerances of HF's all-bf16
// forward).
//
// LossAndGrad with nil gradients trains only attached LoRA adapters (a
// frozen base): the base model's weight gradients are not computed.
//
// Non-persistent buffers that real Pythia checkpoints may carry
// (attention.bias, attention.masked_bias, attention.rotary_emb.inv_freq) are
// never looked up, so they are ignored; the mask and rotary tables are built
// from the config.
package neox
