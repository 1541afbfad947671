import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gemmNTScalar, KernelWorkspace, wasmSimdAvailable } from '../../src/search/kernels.ts';
import { Prng } from '../../src/search/prng.ts';

const rng = new Prng(3);
const fill = <T extends Float32Array | Float64Array>(a: T): T => {
  for (let i = 0; i < a.length; i++) a[i] = rng.gaussian();
  return a;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('SIMD kernels agree with plain JavaScript', { skip: wasmSimdAvailable() ? false : 'no WebAssembly SIMD' }, () => {
  const workspaces: KernelWorkspace[] = [];
  after(() => workspaces.forEach((w) => w.dispose()));

  for (const threads of [1, 2]) {
    it(`gemmNT in single and double precision (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      const [M, N, K] = [64, 68, 36];
      const ws = new KernelWorkspace({ bytes: 8 * (M * K + N * K + M * N) * 2 + 4 * 3 * 256 * 256, threads });
      workspaces.push(ws);
      const X = fill(ws.f32(M * K));
      const Y = fill(ws.f32(N * K));
      const C = ws.f32(M * N);
      const R = new Float32Array(M * N);
      ws.gemmNT(X, Y, C, M, N, K);
      gemmNTScalar(X, Y, R, M, N, K);
      assert.ok(maxDiff(C, R) < 1e-4, `f32 diff ${maxDiff(C, R)}`);
      const X64 = fill(ws.f64(M * K));
      const Y64 = fill(ws.f64(N * K));
      const C64 = ws.f64(M * N);
      const R64 = new Float64Array(M * N);
      ws.gemmNT(X64, Y64, C64, M, N, K);
      gemmNTScalar(X64, Y64, R64, M, N, K);
      assert.ok(maxDiff(C64, R64) < 1e-12, `f64 diff ${maxDiff(C64, R64)}`);
      // large enough for the worker thread to take half of the rows
      const [M2, N2, K2] = [256, 256, 128];
      const A = fill(ws.f32(M2 * K2));
      const B = fill(ws.f32(N2 * K2));
      const AB = ws.f32(M2 * N2);
      const ref = new Float32Array(M2 * N2);
      ws.gemmNT(A, B, AB, M2, N2, K2);
      gemmNTScalar(A, B, ref, M2, N2, K2);
      assert.ok(maxDiff(AB, ref) < 1e-3, `f32 large diff ${maxDiff(AB, ref)}`);
    });
  }

  it('rejects unpadded shapes and foreign arrays', () => {
    const ws = new KernelWorkspace({ bytes: 1 << 16 });
    workspaces.push(ws);
    const a = ws.f32(64);
    assert.throws(() => ws.gemmNT(a, a, a, 3, 4, 4), /not padded/);
    assert.throws(() => ws.gemmNT(new Float32Array(64), a, a, 2, 4, 4), /not from this workspace/);
  });

  it('embedSum, scatterAdd and adamRows', () => {
    const [V, dim] = [50, 64];
    const simd = new KernelWorkspace({ bytes: 1 << 20 });
    const js = new KernelWorkspace({ bytes: 1 << 20, scalar: true });
    workspaces.push(simd, js);
    const arrays = (ws: KernelWorkspace) => ({
      E: ws.f32(V * dim),
      G: ws.f32(V * dim),
      m: ws.f32(V * dim),
      v: ws.f32(V * dim),
      ids: ws.i32(6),
      w: ws.f32(6),
      out: ws.f32(dim),
      rows: ws.i32(3),
      coef: ws.f32(6),
    });
    const a = arrays(simd);
    const b = arrays(js);
    fill(a.E);
    b.E.set(a.E);
    const initial = Float32Array.from(a.E);
    for (const x of [a, b]) {
      x.ids.set([7, 3, 41, 0, 12, 9]);
      x.w.set([0.5, -1, 2, 0.25, 1, 3]);
      x.rows.set([3, 41, 12]);
      x.coef.set([0.01, 1.5, 0.02, 1.2, 0.005, 1.01]);
    }
    simd.embedSum(a.E, dim, a.ids, a.w, 1, 5, a.out, 0);
    js.embedSum(b.E, dim, b.ids, b.w, 1, 5, b.out, 0);
    assert.ok(maxDiff(a.out, b.out) < 1e-5);
    let ref = 0;
    for (let p = 1; p < 5; p++) ref += b.w[p] * b.E[b.ids[p] * dim + 5];
    assert.ok(Math.abs(b.out[5] - ref) < 1e-5);
    simd.scatterAdd(a.G, dim, a.ids, a.w, 0, 6, a.out, 0);
    js.scatterAdd(b.G, dim, b.ids, b.w, 0, 6, b.out, 0);
    assert.ok(maxDiff(a.G, b.G) < 1e-5);
    assert.ok(Math.abs(b.G[41 * dim + 2] - 2 * b.out[2]) < 1e-6);
    for (let step = 0; step < 3; step++) {
      simd.adamRows(a.E, a.m, a.v, a.G, dim, a.rows, a.coef, 3, 0.9, 0.999, 1e-8);
      js.adamRows(b.E, b.m, b.v, b.G, dim, b.rows, b.coef, 3, 0.9, 0.999, 1e-8);
      a.G.set(b.G.map((_, i) => Math.sin(i + step)));
      b.G.set(a.G);
    }
    assert.ok(maxDiff(a.E, b.E) < 1e-5, `adam diff ${maxDiff(a.E, b.E)}`);
    assert.ok(maxDiff(a.m, b.m) < 1e-6);
    // rows 3, 41 and 12 moved; the others did not
    const moved = (row: number) => maxDiff(a.E.subarray(row * dim, (row + 1) * dim), initial.subarray(row * dim, (row + 1) * dim)) > 0;
    assert.deepEqual([3, 41, 12, 0, 7].map(moved), [true, true, true, false, false]);
  });

  it('batched embedRows, scatterRows and adamRows give the same bits with one thread or two', () => {
    // The trainer's batch calls: with a second thread, texts (embedRows), dimensions (scatterRows) and rows
    // (adamRows) are split between the threads; every number must come out as with one thread.
    const [V, dim, rows] = [300, 256, 40];
    const run = (threads: number) => {
      const ws = new KernelWorkspace({ bytes: 8 << 20, threads });
      workspaces.push(ws);
      const r = new Prng(11);
      const E = ws.f32(V * dim);
      for (let i = 0; i < E.length; i++) E[i] = r.gaussian();
      const starts = ws.i32(rows + 1);
      const idList: number[] = [];
      for (let t = 0; t < rows; t++) {
        const seen = new Set<number>();
        const n = t % 9 === 4 ? 0 : 1 + r.int(20);
        for (let k = 0; k < n; k++) {
          const id = r.int(V);
          if (!seen.has(id)) (seen.add(id), idList.push(id));
        }
        starts[t + 1] = idList.length;
      }
      const ids = ws.i32(idList.length);
      ids.set(idList);
      const w = ws.f32(idList.length).map(() => r.float() + 0.5);
      const wIn = ws.f32(w.length);
      wIn.set(w);
      const X = ws.f32(rows * dim);
      ws.embedRows(E, dim, ids, wIn, starts, rows, X);
      const G = ws.f32(V * dim);
      ws.scatterRows(G, dim, ids, wIn, starts, rows, X);
      const m = ws.f32(V * dim);
      const v = ws.f32(V * dim);
      const touched = ws.i32(V);
      touched.set(Array.from({ length: V }, (_, i) => (i * 7) % V));
      const coef = ws.f32(2 * V).map((_, i) => (i % 2 === 0 ? 0.01 : 1.2));
      const coefIn = ws.f32(2 * V);
      coefIn.set(coef);
      ws.adamRows(E, m, v, G, dim, touched, coefIn, V, 0.9, 0.999, 1e-8);
      return { X: Float32Array.from(X), E: Float32Array.from(E), m: Float32Array.from(m), ids, starts, w: wIn, G };
    };
    const one = run(1);
    const two = run(2);
    assert.deepEqual(two.X, one.X);
    assert.deepEqual(two.E, one.E);
    assert.deepEqual(two.m, one.m);
    // against the definition: text 1's vector, and a text with no ids (4) is zero
    const ref = new Float64Array(dim);
    const E0 = new Prng(11);
    const E = Array.from({ length: V * dim }, () => E0.gaussian());
    for (let p = one.starts[1]; p < one.starts[2]; p++) for (let d = 0; d < dim; d++) ref[d] += one.w[p] * Math.fround(E[one.ids[p] * dim + d]);
    assert.ok(maxDiff(one.X.subarray(dim, 2 * dim), ref) < 1e-4);
    assert.deepEqual([...one.X.subarray(4 * dim, 5 * dim)], new Array(dim).fill(0));
  });
});

describe('sparse x dense products', () => {
  it('agree between SIMD and JavaScript, plain and transposed', () => {
    const [rows, cols, l] = [30, 20, 32];
    const make = (ws: KernelWorkspace) => {
      const r = new Prng(8);
      const indptr = ws.i32(rows + 1);
      const idx: number[] = [];
      const val: number[] = [];
      for (let i = 0; i < rows; i++) {
        if (i % 7 !== 3) for (let j = 0; j < cols; j++) if (r.float() < 0.3) (idx.push(j), val.push(r.gaussian()));
        indptr[i + 1] = idx.length;
      }
      const indices = ws.i32(idx.length);
      indices.set(idx);
      const data = ws.f32(val.length);
      data.set(val);
      const X = ws.f64(cols * l).map(() => r.gaussian());
      const Y = ws.f64(rows * l).map(() => r.gaussian());
      return { A: { rows, indptr, indices, data }, X, Y, AX: ws.f64(rows * l).fill(7), ATY: ws.f64(cols * l).fill(7) };
    };
    const runs = [false, true].map((scalar) => {
      const ws = new KernelWorkspace({ bytes: 1 << 20, scalar });
      const m = make(ws);
      // map() above made copies outside the workspace: copy back in
      const X = ws.f64(cols * l);
      X.set(m.X);
      const Y = ws.f64(rows * l);
      Y.set(m.Y);
      ws.csrTimes(m.A, X, l, m.AX, false);
      ws.csrTimes(m.A, Y, l, m.ATY, true);
      ws.dispose();
      return m;
    });
    assert.ok(maxDiff(runs[0].AX, runs[1].AX) < 1e-12);
    assert.ok(maxDiff(runs[0].ATY, runs[1].ATY) < 1e-12);
    // against the definition, on one entry of each, and an empty row (3) gives zeros
    const { A, X, Y, AX, ATY } = runs[1];
    let s = 0;
    for (let p = A.indptr[5]; p < A.indptr[6]; p++) s += A.data[p] * X[A.indices[p] * l + 9];
    assert.ok(Math.abs(AX[5 * l + 9] - s) < 1e-12);
    assert.deepEqual([...AX.subarray(3 * l, 4 * l)], new Array(l).fill(0));
    let t = 0;
    for (let r = 0; r < rows; r++)
      for (let p = A.indptr[r]; p < A.indptr[r + 1]; p++) if (A.indices[p] === 4) t += A.data[p] * Y[r * l + 2];
    assert.ok(Math.abs(ATY[4 * l + 2] - t) < 1e-12);

    // Rows taken in chunks and accumulated (as the SVD walks them) give the same Aᵀ·Y, bit for bit.
    for (const scalar of [false, true]) {
      const ws = new KernelWorkspace({ bytes: 1 << 20, scalar });
      const m = make(ws);
      const Yw = ws.f64(rows * l);
      Yw.set(Y);
      const out = ws.f64(cols * l);
      for (let r0 = 0; r0 < rows; r0 += 8) {
        const n = Math.min(8, rows - r0);
        ws.csrTimes({ rows: n, indptr: m.A.indptr.subarray(r0, r0 + n + 1), indices: m.A.indices, data: m.A.data }, Yw.subarray(r0 * l), l, out, true, r0 > 0);
      }
      assert.deepEqual([...out], [...ATY], scalar ? 'plain JavaScript' : 'SIMD');
      ws.dispose();
    }
  });
});

describe("the trainer's softmax and transposes on two threads", () => {
  it('give the loss gradient of a plain computation, the same bits with one thread or two', () => {
    const [bp, rows, dim, invTau] = [52, 50, 32, 20];
    const run = (threads: number) => {
      const ws = new KernelWorkspace({ bytes: 1 << 20, threads });
      const r = new Prng(5);
      const random = (a: Float32Array, f: () => number) => {
        for (let i = 0; i < a.length; i++) a[i] = f();
        return a;
      };
      const S = random(ws.f32(bp * bp), () => r.float() * 2 - 1);
      const S0 = Float32Array.from(S);
      const [rowSum, colA, colB] = [ws.f64(bp), ws.f64(bp), ws.f64(bp)];
      ws.softmaxExp(S, bp, rows, invTau, rowSum, colA, colB);
      const col = Float64Array.from(colA, (x, j) => 1 / (x + colB[j]));
      const colInv = ws.f64(bp);
      colInv.set(col);
      ws.softmaxGrad(S, bp, rows, rowSum, colInv, 0.01);
      const ST = ws.f32(bp * bp);
      ws.transposeSquare(S, ST, bp);
      const [X, XT, Y, YT] = [random(ws.f32(bp * dim), () => r.float()), ws.f32(bp * dim), random(ws.f32(bp * dim), () => r.float()), ws.f32(bp * dim)];
      ws.transposePair([X, XT, bp, dim], [Y, YT, bp, dim]);
      const out = { S0, S: Float32Array.from(S), ST: Float32Array.from(ST), X: Float32Array.from(X), XT: Float32Array.from(XT), Y: Float32Array.from(Y), YT: Float32Array.from(YT) };
      ws.dispose();
      return out;
    };
    const one = run(1);
    const two = run(2);
    assert.deepEqual(two.S, one.S);
    assert.deepEqual(two.ST, one.ST);
    // against the definition: dL/dS_ij = (P_ij + Q_ij - 2 δ_ij) · scale, zero outside the used block
    const e = (i: number, j: number) => Math.exp((one.S0[i * bp + j] - 1) * invTau);
    const rowTotal = (i: number) => Array.from({ length: rows }, (_, j) => e(i, j)).reduce((a, b) => a + b);
    const colTotal = (j: number) => Array.from({ length: rows }, (_, i) => e(i, j)).reduce((a, b) => a + b);
    for (const [i, j] of [[0, 0], [3, 7], [49, 12], [25, 25]]) {
      const want = (e(i, j) / rowTotal(i) + e(i, j) / colTotal(j) - (i === j ? 2 : 0)) * 0.01;
      assert.ok(Math.abs(one.S[i * bp + j] - want) < 1e-6, `(${i}, ${j}): ${one.S[i * bp + j]} vs ${want}`);
    }
    assert.equal(one.S[3 * bp + 51], 0);
    for (const [i, j] of [[0, 1], [17, 40], [51, 2]]) assert.equal(one.ST[j * bp + i], one.S[i * bp + j]);
    for (const [t, src, dst] of [[one, one.X, one.XT], [two, two.Y, two.YT]] as const) {
      void t;
      for (const [i, d] of [[0, 0], [30, 5], [51, 31]]) assert.equal(dst[d * bp + i], src[i * dim + d]);
    }
  });
});

describe('a query against every vector', () => {
  it('is split by columns between two threads with the same bits as one thread', () => {
    const [M, N, K] = [2, 8200, 256];
    const run = (threads: number) => {
      const ws = new KernelWorkspace({ bytes: 4 * (M * K + N * K + M * N) + 1024, threads });
      const r = new Prng(21);
      const [X, Y, C] = [ws.f32(M * K), ws.f32(N * K), ws.f32(M * N)];
      for (const a of [X, Y]) for (let i = 0; i < a.length; i++) a[i] = r.gaussian();
      ws.gemmNT(X, Y, C, M, N, K);
      const out = Float32Array.from(C);
      ws.dispose();
      ws.gemmNT(X, Y, C, M, N, K); // after dispose(): on this thread, still right
      assert.deepEqual(C, out);
      return { out, X, Y };
    };
    const one = run(1);
    const two = run(2);
    assert.deepEqual(two.out, one.out);
    let ref = 0;
    for (let k = 0; k < K; k++) ref += one.X[K + k] * one.Y[8199 * K + k];
    assert.ok(Math.abs(one.out[N + 8199] - ref) < 1e-3);
  });
});

describe('kernel workspace', () => {
  it('hands out arrays again after release(mark), zeroed like new ones', () => {
    const ws = new KernelWorkspace({ bytes: 4096 });
    const keep = ws.f32(8).fill(1);
    const mark = ws.mark();
    const a = ws.f64(64).fill(3);
    assert.throws(() => ws.f64(1000), /out of capacity/);
    ws.release(mark);
    const b = ws.f64(64);
    assert.equal(b.byteOffset, a.byteOffset);
    assert.deepEqual([...b], new Array(64).fill(0));
    assert.deepEqual([...keep], new Array(8).fill(1), 'arrays taken before the mark stay as they were');
    assert.throws(() => ws.release(ws.mark() + 16), /bad mark/);
    ws.dispose();
  });
});
