package neox

// growGrads sizes the gradient buffers of trainBufs for (batch, seq).
func (m *Model) growGrads(batch, seq int) {
	c, tb := m.Config, &m.trainBufs
	rows, h := batch*seq, c.HiddenSize
	for _, buf := range []*[]float32{&tb.dres, &tb.dln, &tb.dmlp, &tb.dattn, &tb.dctx, &tb.dq, &tb.dk, &tb.dv} {
		*buf = grow(*buf, rows*h)
	}
	tb.dqkv = grow(tb.dqkv, rows*3*h)
	tb.dprobs = grow(tb.dprobs, batch*c.NumAttentionHeads*seq*seq)
	tb.dh4 = grow(tb.dh4, rows*c.IntermediateSize)
}

// backward propagates trainBufs.dln = ∂loss/∂lnf, written by nn.LMHeadLoss into
// the buffers of growGrads, through the model saved by trainForward, adding
// parameter gradients into g's slices (+=) and writing activation gradients
// (=); the residual stream's gradient dres accumulates the branches of each
// block.
func (m *Model) backward(g *Model, tokens []int32, batch, seq int) {
	tb, rows := &m.trainBufs, batch*seq
	// lnf = LN_f(x), x being the last block's output, still in m.act.x.
	m.finalLN.Backward(tb.dres, g.finalLN.Weight, g.finalLN.Bias, tb.dln, m.act.x, tb.meanF, tb.rstd, rows)
	for i := len(m.layers) - 1; i >= 0; i-- {
		m.blockBackward(i, &g.layers[i], batch, seq)
	}
	m.embedIn.Backward(g.embedIn.Weight, tb.dres, tokens) // x = E_in[tokens]: dE_in[token] += dx row
}

// blockBackward takes dres = ∂loss/∂(block i output) to ∂loss/∂(block i
// input), adding the gradients of layer i's parameters into gl.
//
//	parallel:   out = x + a(x) + f(x)    → dx = dout + a'ᵀdout + f'ᵀdout
//	sequential: mid = x + a(x), out = mid + f(mid)
//	            → dmid = dout + f'ᵀdout, dx = dmid + a'ᵀdmid
func (m *Model) blockBackward(i int, gl *layer, batch, seq int) {
	c, tb, l, la := m.Config, &m.trainBufs, &m.layers[i], &m.trainBufs.layers[i]
	rows := batch * seq
	mlpIn := la.xIn
	if !c.UseParallelResidual {
		mlpIn = la.mid
	}
	la.restore(l, mlpIn, rows)

	// MLP: f = fc2(gelu(fc1(LN₂(mlpIn)))); f is half under autocast.
	dout := m.halfGrad(tb.dres)
	l.fc2.Backward(tb.dh4, gl.fc2.Weight, gl.fc2.Bias, dout, la.h4, rows)
	m.geluBackward(tb.dh4, tb.dh4, la.pre)
	m.cast.Round(tb.dh4) // autocast: gelu_backward of half tensors is half
	l.fc1.Backward(tb.dln, gl.fc1.Weight, gl.fc1.Bias, tb.dh4, la.ln2, rows)
	l.ln2.Backward(tb.dmlp, gl.ln2.Weight, gl.ln2.Bias, tb.dln, mlpIn, la.mean2, la.rstd2, rows)
	if !c.UseParallelResidual {
		add(tb.dres, tb.dres, tb.dmlp) // dres = dmid
		dout = m.halfGrad(tb.dres)
	}

	// Attention: a = dense(attn(rotary(qkv(LN₁(x))))); a is half under autocast.
	l.dense.Backward(tb.dctx, gl.dense.Weight, gl.dense.Bias, dout, la.ctx, rows)
	m.attendBackward(tb.dq, tb.dk, tb.dv, tb.dprobs, tb.dctx, la.probs, la.q, la.k, la.v, batch, seq)
	m.mergeHeads(batch, seq)
	l.qkv.Backward(tb.dln, gl.qkv.Weight, gl.qkv.Bias, tb.dqkv, la.ln1, rows)
	l.ln1.Backward(tb.dattn, gl.ln1.Weight, gl.ln1.Bias, tb.dln, la.xIn, la.mean1, la.rstd1, rows)

	if c.UseParallelResidual {
		add(tb.dres, tb.dres, tb.dmlp)
	}
	add(tb.dres, tb.dres, tb.dattn)
}

// mergeHeads is splitHeads backwards: it rotates dq and dk back (rotary is
// orthogonal, so its gradient is the inverse rotation) and gathers dq, dk,
// dv into the per-head [q k v] columns of dqkv.
//
//	dq, dk, dv: (batch, heads, seq, headSize) → dqkv: (batch, seq, heads, 3, headSize)
func (m *Model) mergeHeads(batch, seq int) {
	heads, hs, tb := m.Config.NumAttentionHeads, m.Config.HeadSize(), &m.trainBufs
	for b := 0; b < batch; b++ {
		for hd := 0; hd < heads; hd++ {
			bh := b*heads + hd
			for t := 0; t < seq; t++ {
				src := (bh*seq + t) * hs
				dst := tb.dqkv[(b*seq+t)*3*heads*hs+hd*3*hs:]
				dq, dk := tb.dq[src:src+hs], tb.dk[src:src+hs]
				m.rotaryBackward(dq, t)
				m.rotaryBackward(dk, t)
				copy(dst[:hs], dq)
				copy(dst[hs:2*hs], dk)
				copy(dst[2*hs:3*hs], tb.dv[src:src+hs])
			}
		}
	}
}
