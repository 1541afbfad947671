// Randomized truncated SVD (Halko, Martinsson & Tropp 2011, "Finding structure with randomness", algorithms 4.4
// and 5.1) of a sparse CSR matrix, for the LSA initialisation of the static embedding model.
//
// The range finder runs on Aᵀ, so that its thin matrices (and their QR factorisations) have one row per column of
// A: for the model, A is documents x vocabulary (57k x 29k) and the vocabulary side is both the smaller one and
// the one wanted (the right singular vectors). With l = rank + oversample:
//   Ω (rows x l) Gaussian;  Y = Aᵀ Ω;  Q = qr(Y);  repeat q times: Q = qr(Aᵀ (A Q))   (power iterations)
//   Z = A Q (rows x l);  Zᵀ Z = W Λ Wᵀ (Jacobi, l x l);  σ = √λ;  V = Q W;  U = Z W / σ.
// Dense work is Float64 (the sparse matrix itself is Float32).
//
// Two implementations of the same algorithm:
// - large matrices (the corpus): the products run on the SIMD kernels of kernels.ts, l is rounded up to a
//   multiple of 16 (more oversampling), and the QR of the thin n x l matrices is Cholesky QR done twice
//   ("CholeskyQR2", Fukaya et al. 2014: G = YᵀY = RᵀR, Q = Y R⁻¹, repeated once for orthogonality to rounding
//   level), because it is two matrix products that the SIMD kernel runs fast, where Gram-Schmidt is a long chain
//   of vector operations; if a Gram matrix is not numerically positive definite (Y nearly rank-deficient), that
//   QR falls back to Gram-Schmidt;
// - small matrices (tests, tiny corpora) and runtimes without WebAssembly SIMD: plain JavaScript, with modified
//   Gram-Schmidt and one re-orthogonalisation pass when a column loses more than 30% of its norm ("twice is
//   enough", Kahan/Parlett).
import { KernelWorkspace, wasmSimdAvailable } from './kernels.ts';
import { Prng } from './prng.ts';
import type { CsrMatrix } from './vocab.ts';

export interface SvdOptions {
  /** Number of singular triplets wanted (k). */
  rank: number;
  /** Extra random directions (p, default 16): the error falls quickly with p. */
  oversample?: number;
  /** Power iterations (q, default 2): each costs two sparse products and a QR, and sharpens a slowly
   *  decaying spectrum (text matrices have one). */
  powerIterations?: number;
  seed?: number;
  /** Also compute the left singular vectors U (default false: the model needs only V). */
  computeU?: boolean;
  onProgress?: (step: string) => void;
  /** Force the plain JavaScript implementation (tests compare both). */
  scalar?: boolean;
  /**
   * Run in this workspace (at least `svdWorkspaceBytes` free), which the caller then reuses: its arrays are
   * taken from it and it is left as it was. By default the SVD makes and disposes of its own.
   */
  workspace?: KernelWorkspace;
  /**
   * Write V here instead (as Float32, V[t][c] at data[t * stride + c], c < rank); the result's `v` is then empty.
   * Saves a cols x rank Float64 copy when the caller wants V in its own array.
   */
  vTarget?: { data: Float32Array; stride: number };
}

export interface SvdResult {
  /** Number of triplets returned: min(rank, rows, cols). */
  rank: number;
  /** Singular values, descending. */
  s: Float64Array;
  /** Right singular vectors, cols x rank, row-major (row t = the coordinates of column t of A); empty with vTarget. */
  v: Float64Array;
  /** Left singular vectors, rows x rank, row-major (only with computeU). */
  u: Float64Array | null;
}

/** out (A.rows x l) = A · X, X (A.cols x l) row-major. */
export function csrTimesDense(
  A: CsrMatrix,
  X: Float64Array,
  l: number,
  out: Float64Array = new Float64Array(A.rows * l),
): Float64Array {
  const { indptr, indices, data } = A;
  out.fill(0);
  for (let r = 0; r < A.rows; r++) {
    const o = r * l;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const v = data[p];
      const xo = indices[p] * l;
      for (let c = 0; c < l; c++) out[o + c] += v * X[xo + c];
    }
  }
  return out;
}

/** out (A.cols x l) = Aᵀ · X, X (A.rows x l) row-major. */
export function csrTransposeTimesDense(
  A: CsrMatrix,
  X: Float64Array,
  l: number,
  out: Float64Array = new Float64Array(A.cols * l),
): Float64Array {
  const { indptr, indices, data } = A;
  out.fill(0);
  for (let r = 0; r < A.rows; r++) {
    const xo = r * l;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const v = data[p];
      const o = indices[p] * l;
      for (let c = 0; c < l; c++) out[o + c] += v * X[xo + c];
    }
  }
  return out;
}

/**
 * Orthonormalises the columns of Y (n x l, row-major) in place (modified Gram-Schmidt with selective
 * re-orthogonalisation). A column with no component left outside the previous ones becomes zero.
 */
export function orthonormalizeColumns(Y: Float64Array, n: number, l: number): void {
  // Column-major copy: Gram-Schmidt walks columns, and contiguous columns keep its loops sequential.
  const T = new Float64Array(n * l);
  for (let r = 0; r < n; r++) for (let c = 0; c < l; c++) T[c * n + r] = Y[r * l + c];
  for (let j = 0; j < l; j++) {
    const vo = j * n;
    let before = 0;
    for (let r = 0; r < n; r++) before += T[vo + r] * T[vo + r];
    before = Math.sqrt(before);
    const original = before;
    let after = before;
    for (let pass = 0; pass < 2 && j > 0; pass++) {
      for (let i = 0; i < j; i++) {
        const qo = i * n;
        let d = 0;
        for (let r = 0; r < n; r++) d += T[qo + r] * T[vo + r];
        if (d !== 0) for (let r = 0; r < n; r++) T[vo + r] -= d * T[qo + r];
      }
      after = 0;
      for (let r = 0; r < n; r++) after += T[vo + r] * T[vo + r];
      after = Math.sqrt(after);
      if (after > 0.7 * before) break;
      before = after;
    }
    if (!(after > 1e-13 * original) || after === 0) {
      T.fill(0, vo, vo + n);
    } else {
      const inv = 1 / after;
      for (let r = 0; r < n; r++) T[vo + r] *= inv;
    }
  }
  for (let r = 0; r < n; r++) for (let c = 0; c < l; c++) Y[r * l + c] = T[c * n + r];
}

/**
 * Eigen-decomposition of a symmetric n x n matrix (row-major; not modified) by cyclic Jacobi rotations.
 * Returns eigenvalues descending and eigenvectors as the columns of `vectors` (n x n, row-major).
 */
export function symmetricEigen(M: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(M);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i] * a[i];
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    // Converged when the off-diagonal part is at rounding level (its square is ~1e-32 relative).
    if (off <= 1e-28 * total || off === 0) break;
    let rotations = 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // Skip rotations below rounding of the diagonal (the classic Jacobi threshold test).
        if (Math.abs(apq) <= 1e-16 * (Math.abs(app) + Math.abs(aqq)) || Math.abs(apq) <= 1e-30 * maxDiag) {
          a[p * n + q] = a[q * n + p] = 0;
          continue;
        }
        rotations++;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- A J (columns p, q), then A <- Jᵀ A (rows p, q); V <- V J.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        const po = p * n;
        const qo = q * n;
        for (let k = 0; k < n; k++) {
          const apk = a[po + k];
          const aqk = a[qo + k];
          a[po + k] = c * apk - s * aqk;
          a[qo + k] = s * apk + c * aqk;
        }
        a[po + q] = a[qo + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
    if (rotations === 0) break;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}

/** out (n x k) = X (n x l) · W[:, :k] (W l x l row-major). */
function timesLeading(X: Float64Array, n: number, l: number, W: Float64Array, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    const xo = r * l;
    const o = r * k;
    for (let a = 0; a < l; a++) {
      const x = X[xo + a];
      if (x === 0) continue;
      const wo = a * l;
      for (let b = 0; b < k; b++) out[o + b] += x * W[wo + b];
    }
  }
  return out;
}

/** Which implementation runs on A, with what k and l. */
function plan(A: { rows: number; cols: number }, options: SvdOptions): { kernels: boolean; k: number; l: number } {
  const k = Math.min(options.rank, A.rows, A.cols);
  if (!(k >= 1)) throw new RangeError(`randomizedSvd: rank must be >= 1 (matrix is ${A.rows} x ${A.cols})`);
  const wanted = k + (options.oversample ?? 16);
  const l16 = Math.ceil(wanted / 16) * 16;
  if (!options.scalar && wasmSimdAvailable() && Math.min(A.rows, A.cols) >= 4 * l16) return { kernels: true, k, l: l16 };
  return { kernels: false, k, l: Math.min(wanted, A.rows, A.cols) };
}

const SVD_CHUNK = 4096;

/**
 * Bytes of kernel workspace the SVD of A takes (0 when it runs in plain JavaScript); A's own arrays included
 * unless they are to be in the workspace already (`matrixInWorkspace`: then the SVD uses them where they are).
 */
export function svdWorkspaceBytes(A: { rows: number; cols: number; nnz: number }, options: SvdOptions, matrixInWorkspace = false): number {
  const { kernels, k, l } = plan(A, options);
  if (!kernels) return 0;
  const nPad = Math.ceil(A.cols / 4) * 4;
  const kPad = Math.ceil(k / 4) * 4;
  return (
    8 * (2 * nPad * l + 2 * l * SVD_CHUNK + 4 * l * l + kPad * l + (options.computeU ? SVD_CHUNK * kPad : 0)) +
    (matrixInWorkspace ? 0 : 4 * (A.rows + 1 + 2 * A.nnz)) +
    16 * 16 * 16
  );
}

export function randomizedSvd(A: CsrMatrix, options: SvdOptions): SvdResult {
  const { kernels, k, l } = plan(A, options);
  if (kernels) return randomizedSvdKernels(A, k, l, options);
  const res = randomizedSvdPlain(A, k, l, options);
  const target = options.vTarget;
  if (!target) return res;
  for (let t = 0; t < A.cols; t++) for (let c = 0; c < k; c++) target.data[t * target.stride + c] = res.v[t * k + c];
  return { ...res, v: new Float64Array(0) };
}

function randomizedSvdPlain(A: CsrMatrix, k: number, l: number, options: SvdOptions): SvdResult {
  const q = options.powerIterations ?? 2;
  const progress = options.onProgress ?? (() => {});
  const rng = new Prng(options.seed ?? 1);

  const omega = new Float64Array(A.rows * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.gaussian();
  progress('range');
  const Q = csrTransposeTimesDense(A, omega, l);
  orthonormalizeColumns(Q, A.cols, l);
  const Z = omega; // reuse: rows x l
  for (let it = 0; it < q; it++) {
    progress(`power iteration ${it + 1}/${q}`);
    csrTimesDense(A, Q, l, Z);
    csrTransposeTimesDense(A, Z, l, Q);
    orthonormalizeColumns(Q, A.cols, l);
  }
  progress('projection');
  csrTimesDense(A, Q, l, Z);
  // G = Zᵀ Z = Qᵀ Aᵀ A Q (l x l), upper triangle accumulated row by row, then mirrored.
  const G = new Float64Array(l * l);
  for (let r = 0; r < A.rows; r++) {
    const zo = r * l;
    for (let a = 0; a < l; a++) {
      const za = Z[zo + a];
      if (za === 0) continue;
      const go = a * l;
      for (let b = a; b < l; b++) G[go + b] += za * Z[zo + b];
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) G[a * l + b] = G[b * l + a];
  progress('eigen');
  const { values, vectors } = symmetricEigen(G, l);
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) s[i] = Math.sqrt(Math.max(0, values[i]));
  const v = timesLeading(Q, A.cols, l, vectors, k);
  let u: Float64Array | null = null;
  if (options.computeU) {
    u = timesLeading(Z, A.rows, l, vectors, k);
    for (let r = 0; r < A.rows; r++) for (let i = 0; i < k; i++) u[r * k + i] = s[i] > 0 ? u[r * k + i] / s[i] : 0;
  }
  return { rank: k, s, v, u };
}

/** Upper-triangular R with RᵀR = G (l x l, row-major), or null if G is not numerically positive definite. */
function cholesky(G: Float64Array, l: number): Float64Array | null {
  const R = new Float64Array(l * l);
  let maxDiag = 0;
  for (let i = 0; i < l; i++) maxDiag = Math.max(maxDiag, G[i * l + i]);
  for (let j = 0; j < l; j++) {
    let d = G[j * l + j];
    for (let t = 0; t < j; t++) d -= R[t * l + j] * R[t * l + j];
    if (!(d > 1e-13 * maxDiag)) return null;
    const rjj = Math.sqrt(d);
    R[j * l + j] = rjj;
    for (let i = j + 1; i < l; i++) {
      let x = G[j * l + i];
      for (let t = 0; t < j; t++) x -= R[t * l + j] * R[t * l + i];
      R[j * l + i] = x / rjj;
    }
  }
  return R;
}

/** (R⁻¹)ᵀ of an upper-triangular R, written into out (l x l, row-major; lower triangular). */
function inverseTransposeUpper(R: Float64Array, l: number, out: Float64Array): void {
  out.fill(0);
  const inv = new Float64Array(l * l); // R⁻¹, upper triangular
  for (let j = l - 1; j >= 0; j--) {
    inv[j * l + j] = 1 / R[j * l + j];
    for (let i = j - 1; i >= 0; i--) {
      let x = 0;
      for (let t = i + 1; t <= j; t++) x += R[i * l + t] * inv[t * l + j];
      inv[i * l + j] = -x / R[i * l + i];
    }
  }
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) out[j * l + i] = inv[i * l + j];
}

function transposeInto(src: Float64Array, rows: number, cols: number, dst: Float64Array): void {
  for (let r0 = 0; r0 < rows; r0 += 32) {
    const r1 = Math.min(rows, r0 + 32);
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const c1 = Math.min(cols, c0 + 32);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
    }
  }
}

function randomizedSvdKernels(A: CsrMatrix, k: number, l: number, options: SvdOptions): SvdResult {
  const q = options.powerIterations ?? 2;
  const progress = options.onProgress ?? (() => {});
  const rng = new Prng(options.seed ?? 1);
  const m = A.rows;
  const n = A.cols;
  const nPad = Math.ceil(n / 4) * 4;
  const kPad = Math.ceil(k / 4) * 4;
  // A's rows are walked in chunks, so the rows x l matrices (Ω, A·Q, U) exist one chunk at a time: on the corpus
  // that is 9 MB instead of 125 MB each. Every chunk is summed in the same order as a whole-matrix pass would.
  const chunk = SVD_CHUNK;
  const nnz = A.indptr[m];
  const ws = options.workspace ?? new KernelWorkspace({ bytes: svdWorkspaceBytes({ rows: m, cols: n, nnz }, options) });
  const mark = ws.mark();
  try {
    // A's arrays as they are when they live in the workspace already, else a copy in it.
    const inPlace = ws.holds(A.indptr) && ws.holds(A.indices) && ws.holds(A.data);
    const csr = inPlace ? { rows: m, indptr: A.indptr, indices: A.indices, data: A.data } : { rows: m, indptr: ws.i32(m + 1), indices: ws.i32(nnz), data: ws.f32(nnz) };
    if (!inPlace) {
      csr.indptr.set(A.indptr.subarray(0, m + 1));
      csr.indices.set(A.indices.subarray(0, nnz));
      csr.data.set(A.data.subarray(0, nnz));
    }
    const Z = ws.f64(chunk * l); // a chunk of Ω or of A·Q, rows past the chunk's end zero
    const Q = ws.f64(nPad * l);
    const T = ws.f64(nPad * l);
    const Zc = ws.f64(l * chunk);
    const G = ws.f64(l * l);
    const Gc = ws.f64(l * l);
    const Rt = ws.f64(l * l);
    /** The rows [r0, r0 + rows) of A, with the offsets of the whole matrix. */
    const rowsOf = (r0: number, rows: number) => ({ rows, indptr: csr.indptr.subarray(r0, r0 + rows + 1), indices: csr.indices, data: csr.data });
    /** For each chunk of rows: fill(chunk rows, first row), then the callback. */
    const overChunks = (each: (r0: number, rows: number) => void) => {
      for (let r0 = 0; r0 < m; r0 += chunk) each(r0, Math.min(chunk, m - r0));
    };
    /** out = Aᵀ (A · X) without A·X as a whole. */
    const gramTimes = (X: Float64Array, out: Float64Array) => {
      out.fill(0);
      overChunks((r0, rows) => {
        ws.csrTimes(rowsOf(r0, rows), X, l, Z, false);
        ws.csrTimes(rowsOf(r0, rows), Z, l, out, true, true);
      });
    };

    /** Orthonormalises Q's columns in place: CholeskyQR2, or Gram-Schmidt when Cholesky breaks down. */
    const orthonormalize = () => {
      for (let pass = 0; pass < 2; pass++) {
        transposeInto(Q, nPad, l, T);
        ws.gemmNT(T, T, G, l, l, nPad);
        const R = cholesky(G, l);
        if (!R) {
          orthonormalizeColumns(Q, nPad, l);
          return;
        }
        inverseTransposeUpper(R, l, Rt);
        ws.gemmNT(Q, Rt, T, nPad, l, l); // T = Q R⁻¹
        Q.set(T);
      }
    };

    progress('range');
    Q.fill(0);
    overChunks((r0, rows) => {
      for (let i = 0; i < rows * l; i++) Z[i] = rng.gaussian();
      ws.csrTimes(rowsOf(r0, rows), Z, l, Q, true, true); // Q = Aᵀ Ω
    });
    orthonormalize();
    for (let it = 0; it < q; it++) {
      progress(`power iteration ${it + 1}/${q}`);
      gramTimes(Q, T);
      Q.set(T);
      orthonormalize();
    }
    progress('projection');
    // G = Zᵀ Z with Z = A·Q, chunk by chunk (each chunk transposed into Zc, l x chunk).
    G.fill(0);
    overChunks((r0, rows) => {
      const rowsPad = Math.ceil(rows / 4) * 4;
      Z.fill(0, rows * l);
      ws.csrTimes(rowsOf(r0, rows), Q, l, Z, false);
      transposeInto(Z.subarray(0, rowsPad * l), rowsPad, l, Zc);
      ws.gemmNT(Zc, Zc, Gc, l, l, rowsPad);
      for (let i = 0; i < l * l; i++) G[i] += Gc[i];
    });
    for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) G[a * l + b] = G[b * l + a] = (G[a * l + b] + G[b * l + a]) / 2;
    progress('eigen');
    const { values, vectors } = symmetricEigen(G, l);
    const s = new Float64Array(k);
    for (let i = 0; i < k; i++) s[i] = Math.sqrt(Math.max(0, values[i]));
    const Wt = ws.f64(kPad * l); // leading eigenvectors as rows
    for (let b = 0; b < k; b++) for (let a = 0; a < l; a++) Wt[b * l + a] = vectors[a * l + b];
    ws.gemmNT(Q, Wt, T, nPad, kPad, l); // V = Q W
    const target = options.vTarget;
    const v = new Float64Array(target ? 0 : n * k);
    if (target) for (let t = 0; t < n; t++) for (let c = 0; c < k; c++) target.data[t * target.stride + c] = T[t * kPad + c];
    else for (let t = 0; t < n; t++) for (let c = 0; c < k; c++) v[t * k + c] = T[t * kPad + c];
    let u: Float64Array | null = null;
    if (options.computeU) {
      const UW = ws.f64(chunk * kPad);
      const U = new Float64Array(m * k);
      overChunks((r0, rows) => {
        const rowsPad = Math.ceil(rows / 2) * 2;
        Z.fill(0, rows * l);
        ws.csrTimes(rowsOf(r0, rows), Q, l, Z, false);
        ws.gemmNT(Z, Wt, UW, rowsPad, kPad, l); // U = Z W / σ
        for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) U[(r0 + r) * k + c] = s[c] > 0 ? UW[r * kPad + c] / s[c] : 0;
      });
      u = U;
    }
    return { rank: k, s, v, u };
  } finally {
    if (options.workspace) ws.release(mark);
    else ws.dispose();
  }
}
