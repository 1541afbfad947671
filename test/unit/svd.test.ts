import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prng } from '../../src/search/prng.ts';
import {
  csrTimesDense,
  csrTransposeTimesDense,
  orthonormalizeColumns,
  randomizedSvd,
  symmetricEigen,
} from '../../src/search/svd.ts';
import type { CsrMatrix } from '../../src/search/vocab.ts';

function denseToCsr(a: Float64Array, rows: number, cols: number): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (a[r * cols + c] !== 0) {
        indices.push(c);
        data.push(a[r * cols + c]);
      }
    }
    indptr[r + 1] = indices.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/** Float32 copy, as the CSR stores it: references must be computed from the same numbers. */
const asStored = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

/** Orthonormal columns by classical Gram-Schmidt done twice: independent of the code under test. */
function randomOrthonormal(n: number, r: number, rng: Prng): Float64Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < r; j++) {
    const v = Float64Array.from({ length: n }, () => rng.gaussian());
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        const d = q.reduce((s, x, i) => s + x * v[i], 0);
        for (let i = 0; i < n; i++) v[i] -= d * q[i];
      }
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  const out = new Float64Array(n * r);
  cols.forEach((c, j) => c.forEach((x, i) => (out[i * r + j] = x)));
  return out;
}

/** Singular values by one-sided Jacobi (Hestenes): a dense reference independent of the randomized method. */
function referenceSingularValues(a: Float64Array, rows: number, cols: number): number[] {
  const u = Float64Array.from(a); // columns are orthogonalised in place
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = u[i * cols + p];
          const y = u[i * cols + q];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = u[i * cols + p];
          const y = u[i * cols + q];
          u[i * cols + p] = c * x - s * y;
          u[i * cols + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const sv: number[] = [];
  for (let j = 0; j < cols; j++) {
    let n = 0;
    for (let i = 0; i < rows; i++) n += u[i * cols + j] ** 2;
    sv.push(Math.sqrt(n));
  }
  return sv.sort((x, y) => y - x);
}

describe('randomized SVD', () => {
  it('recovers a known low-rank matrix: its singular values and the matrix itself', () => {
    const rng = new Prng(7);
    const [m, n, r] = [60, 45, 5];
    const sigma = [10, 7, 4, 2, 0.5];
    const U = randomOrthonormal(m, r, rng);
    const V = randomOrthonormal(n, r, rng);
    const dense = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let x = 0;
        for (let t = 0; t < r; t++) x += U[i * r + t] * sigma[t] * V[j * r + t];
        dense[i * n + j] = x;
      }
    }
    const A = denseToCsr(dense, m, n);
    const stored = asStored(dense);
    const res = randomizedSvd(A, { rank: r, oversample: 5, powerIterations: 1, seed: 3, computeU: true });
    assert.equal(res.rank, r);
    // The CSR holds Float32 entries, so agreement is to single precision.
    for (let t = 0; t < r; t++) assert.ok(Math.abs(res.s[t] - sigma[t]) < 1e-5, `σ${t}: ${res.s[t]} vs ${sigma[t]}`);
    let maxErr = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let x = 0;
        for (let t = 0; t < r; t++) x += res.u![i * r + t] * res.s[t] * res.v[j * r + t];
        maxErr = Math.max(maxErr, Math.abs(x - stored[i * n + j]));
      }
    }
    assert.ok(maxErr < 1e-6, `reconstruction error ${maxErr}`);
  });

  it('matches a dense reference on a small sparse matrix, with orthonormal singular vectors', () => {
    const rng = new Prng(11);
    const [m, n] = [80, 50];
    const dense = new Float64Array(m * n);
    // A few latent "topics" plus sparse noise: a decaying spectrum, as in text.
    for (let i = 0; i < m; i++) {
      const topic = i % 4;
      for (let j = 0; j < n; j++) {
        const inTopic = Math.floor(j / 12) === topic;
        if ((inTopic && rng.float() < 0.5) || rng.float() < 0.08) dense[i * n + j] = rng.float() + (inTopic ? 1 : 0);
      }
    }
    const reference = referenceSingularValues(asStored(dense), m, n);
    const k = 8;
    const res = randomizedSvd(denseToCsr(dense, m, n), { rank: k, oversample: 10, powerIterations: 2, seed: 5 });
    // The four topic directions stand well above the noise and come out almost exactly; the noise part of the
    // spectrum is flat, where a randomized method with a few power iterations is expected to be off by ~1%.
    for (let t = 0; t < 4; t++) {
      assert.ok(Math.abs(res.s[t] / reference[t] - 1) < 1e-4, `σ${t}: ${res.s[t]} vs ${reference[t]}`);
    }
    for (let t = 4; t < k; t++) {
      assert.ok(Math.abs(res.s[t] / reference[t] - 1) < 0.03, `σ${t}: ${res.s[t]} vs ${reference[t]}`);
    }
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let d = 0;
        for (let j = 0; j < n; j++) d += res.v[j * k + a] * res.v[j * k + b];
        assert.ok(Math.abs(d - (a === b ? 1 : 0)) < 1e-9, `VᵀV[${a},${b}] = ${d}`);
      }
    }
  });

  it('gives the same answer through the SIMD kernels (CholeskyQR2) as in plain JavaScript', () => {
    const rng = new Prng(21);
    const [m, n] = [420, 300];
    const dense = new Float64Array(m * n);
    // 6 topics of 50 columns, documents mostly in one topic, plus sparse noise
    for (let i = 0; i < m; i++) {
      const topic = i % 6;
      for (let j = 0; j < n; j++) {
        const inTopic = Math.floor(j / 50) === topic;
        if ((inTopic && rng.float() < 0.3) || rng.float() < 0.02) dense[i * n + j] = rng.float() + (inTopic ? 1 : 0);
      }
    }
    const A = denseToCsr(dense, m, n);
    const options = { rank: 12, oversample: 16, powerIterations: 2, seed: 4, computeU: true };
    const fast = randomizedSvd(A, options);
    const plain = randomizedSvd(A, { ...options, scalar: true });
    const reference = referenceSingularValues(asStored(dense), m, n);
    // Randomized: ~1e-5 relative on this spectrum (6 similar topics over a noise floor), in both implementations.
    for (let t = 0; t < 6; t++) {
      assert.ok(Math.abs(fast.s[t] / reference[t] - 1) < 1e-4, `σ${t}: ${fast.s[t]} vs ${reference[t]}`);
      assert.ok(Math.abs(plain.s[t] / reference[t] - 1) < 1e-4, `σ${t}: ${plain.s[t]} vs ${reference[t]}`);
    }
    // The topic singular values are close together, so individual vectors may rotate among them: compare the
    // subspaces instead (each fast vector lies in the span of the plain ones).
    for (let t = 0; t < 6; t++) {
      let inSpan = 0;
      for (let c = 0; c < 6; c++) {
        let d = 0;
        for (let j = 0; j < n; j++) d += fast.v[j * 12 + t] * plain.v[j * 12 + c];
        inSpan += d * d;
      }
      assert.ok(inSpan > 1 - 1e-4, `v${t}: ${inSpan} of its norm in the plain subspace`);
    }
    // A v = σ u
    for (let t = 0; t < 3; t++) {
      for (const i of [0, 17, 333]) {
        let av = 0;
        for (let j = 0; j < n; j++) av += asStored(dense)[i * n + j] * fast.v[j * 12 + t];
        assert.ok(Math.abs(av - fast.s[t] * fast.u![i * 12 + t]) < 1e-8);
      }
    }
  });

  it('recovers an exactly low-rank matrix through the kernels too (Cholesky breaks down, Gram-Schmidt takes over)', () => {
    const rng = new Prng(8);
    const [m, n, r] = [300, 260, 4];
    const U = randomOrthonormal(m, r, rng);
    const V = randomOrthonormal(n, r, rng);
    const sigma = [5, 3, 2, 1];
    const dense = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) for (let t = 0; t < r; t++) dense[i * n + j] += U[i * r + t] * sigma[t] * V[j * r + t];
    const res = randomizedSvd(denseToCsr(dense, m, n), { rank: 6, oversample: 10, powerIterations: 1, seed: 2 });
    for (let t = 0; t < r; t++) assert.ok(Math.abs(res.s[t] - sigma[t]) < 1e-5, `σ${t}: ${res.s[t]}`);
    for (let t = r; t < 6; t++) assert.ok(res.s[t] < 1e-5, `σ${t} should vanish: ${res.s[t]}`);
  });

  it('is deterministic for a seed', () => {
    const rng = new Prng(1);
    const dense = Float64Array.from({ length: 30 * 20 }, () => (rng.float() < 0.3 ? rng.float() : 0));
    const A = denseToCsr(dense, 30, 20);
    const a = randomizedSvd(A, { rank: 4, seed: 9 });
    const b = randomizedSvd(A, { rank: 4, seed: 9 });
    assert.deepEqual(a.v, b.v);
    assert.deepEqual(a.s, b.s);
  });
});

describe('SVD building blocks', () => {
  it('sparse products agree with dense ones', () => {
    const rng = new Prng(2);
    const [m, n, l] = [7, 5, 3];
    const dense = Float64Array.from({ length: m * n }, () => (rng.float() < 0.5 ? Math.fround(rng.gaussian()) : 0));
    const A = denseToCsr(dense, m, n);
    const X = Float64Array.from({ length: n * l }, () => rng.gaussian());
    const Y = Float64Array.from({ length: m * l }, () => rng.gaussian());
    const ax = csrTimesDense(A, X, l);
    const aty = csrTransposeTimesDense(A, Y, l);
    for (let i = 0; i < m; i++)
      for (let c = 0; c < l; c++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += dense[i * n + j] * X[j * l + c];
        assert.ok(Math.abs(ax[i * l + c] - s) < 1e-12);
      }
    for (let j = 0; j < n; j++)
      for (let c = 0; c < l; c++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += dense[i * n + j] * Y[i * l + c];
        assert.ok(Math.abs(aty[j * l + c] - s) < 1e-12);
      }
  });

  it('Gram-Schmidt gives orthonormal columns spanning the input, zero columns for dependent ones', () => {
    const rng = new Prng(4);
    const [n, l] = [40, 6];
    const Y = Float64Array.from({ length: n * l }, () => rng.gaussian());
    for (let r = 0; r < n; r++) Y[r * l + 5] = 2 * Y[r * l + 1] - Y[r * l + 3]; // column 5 is dependent
    const Q = Float64Array.from(Y);
    orthonormalizeColumns(Q, n, l);
    for (let a = 0; a < l; a++)
      for (let b = 0; b < l; b++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += Q[r * l + a] * Q[r * l + b];
        const want = a === b ? (a === 5 ? 0 : 1) : 0;
        assert.ok(Math.abs(d - want) < 1e-12, `QᵀQ[${a},${b}] = ${d}`);
      }
    // Column 2 of Y lies in the span of Q's first three columns.
    let residual = 0;
    const coef = [0, 1, 2].map((a) => {
      let d = 0;
      for (let r = 0; r < n; r++) d += Q[r * l + a] * Y[r * l + 2];
      return d;
    });
    for (let r = 0; r < n; r++) residual += (Y[r * l + 2] - coef.reduce((s, c, a) => s + c * Q[r * l + a], 0)) ** 2;
    assert.ok(residual < 1e-20);
  });

  it('Jacobi eigen-decomposition reconstructs a symmetric matrix', () => {
    const rng = new Prng(6);
    const n = 12;
    const B = Float64Array.from({ length: n * n }, () => rng.gaussian());
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = B[i * n + j] + B[j * n + i];
    const { values, vectors } = symmetricEigen(M, n);
    for (let i = 1; i < n; i++) assert.ok(values[i - 1] >= values[i]);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let x = 0;
        for (let t = 0; t < n; t++) x += vectors[i * n + t] * values[t] * vectors[j * n + t];
        assert.ok(Math.abs(x - M[i * n + j]) < 1e-10, `(${i},${j}): ${x} vs ${M[i * n + j]}`);
      }
  });
});
