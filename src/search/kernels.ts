// Numeric kernels for the trainer and the SVD, on Float32Array/Float64Array views of one WebAssembly memory.
//
// Why WebAssembly: the trainer's hot spots (three 1024 x 1024 x 256 products per batch, the weighted sums of
// embedding rows in the forward pass, their scatter in the backward pass, the Adam update) run at ~1 GFLOP/s as
// plain JavaScript, which would make training on 57k papers take over ten minutes. The same loops with 128-bit
// SIMD (f32x4 / f64x2) run several times faster on the same core. The kernels are small, so they are assembled
// below from their opcodes (a readable source rather than an opaque binary), and validated when loaded; where
// WebAssembly SIMD is unavailable, plain JavaScript versions of the same kernels run instead.
// A second core can be used through a worker thread that shares the memory and computes half of each product.
import { Worker } from 'node:worker_threads';

// ---------------------------------------------------------------------------------------------------------------
// A minimal WebAssembly binary writer: just the instructions the kernels use.

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Instruction emitter for one function body; locals are allocated by name. */
class Fn {
  readonly bytes: number[] = [];
  private readonly localTypes: number[] = [];
  constructor(readonly params: number[]) {}
  local(type: number): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }
  get(l: number) { this.bytes.push(0x20, ...uleb(l)); return this; }
  set(l: number) { this.bytes.push(0x21, ...uleb(l)); return this; }
  i32(v: number) { this.bytes.push(0x41, ...sleb(v)); return this; }
  f32(v: number) { this.bytes.push(0x43, ...new Uint8Array(Float32Array.of(v).buffer)); return this; }
  add() { this.bytes.push(0x6a); return this; }
  sub() { this.bytes.push(0x6b); return this; }
  mul() { this.bytes.push(0x6c); return this; }
  shl() { this.bytes.push(0x74); return this; }
  shr() { this.bytes.push(0x76); return this; }
  geU() { this.bytes.push(0x4f); return this; }
  eq() { this.bytes.push(0x46); return this; }
  if_() { this.bytes.push(0x04, 0x40); return this; }
  else_() { this.bytes.push(0x05); return this; }
  endIf() { this.bytes.push(0x0b); return this; }
  f32Sub() { this.bytes.push(0x93); return this; }
  block() { this.bytes.push(0x02, 0x40); return this; }
  loop() { this.bytes.push(0x03, 0x40); return this; }
  end() { this.bytes.push(0x0b); return this; }
  br(depth: number) { this.bytes.push(0x0c, ...uleb(depth)); return this; }
  brIf(depth: number) { this.bytes.push(0x0d, ...uleb(depth)); return this; }
  i32Load(offset = 0) { this.bytes.push(0x28, 2, ...uleb(offset)); return this; }
  f32Load(offset = 0) { this.bytes.push(0x2a, 2, ...uleb(offset)); return this; }
  f64PromoteF32() { this.bytes.push(0xbb); return this; }
  call(fn: number) { this.bytes.push(0x10, ...uleb(fn)); return this; }
  private simd(op: number, ...imm: number[]) { this.bytes.push(0xfd, ...uleb(op), ...imm); return this; }
  load(offset = 0) { return this.simd(0x00, 4, ...uleb(offset)); }
  store(offset = 0) { return this.simd(0x0b, 4, ...uleb(offset)); }
  zero() { return this.simd(0x0c, ...new Array(16).fill(0)); }
  shuffle(lanes: number[]) { return this.simd(0x0d, ...lanes); }
  f32x4Splat() { return this.simd(0x13); }
  f64x2Splat() { return this.simd(0x14); }
  f32x4Add() { return this.simd(0xe4); }
  f32x4Sub() { return this.simd(0xe5); }
  f32x4Mul() { return this.simd(0xe6); }
  f32x4Div() { return this.simd(0xe7); }
  f32x4Sqrt() { return this.simd(0xe3); }
  f64x2Add() { return this.simd(0xf0); }
  f64x2Mul() { return this.simd(0xf2); }
  /** `for (v = 0; v < limit; v += step) body()`; `limit` is a local. */
  for(v: number, limit: number, step: number, body: () => void) {
    this.i32(0).set(v).block().loop();
    this.get(v).get(limit).geU().brIf(1);
    body();
    this.get(v).i32(step).add().set(v).br(0).end().end();
    return this;
  }
  encode(): number[] {
    const groups: number[][] = this.localTypes.map((t) => [1, t]);
    const body = [...vec(groups), ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

// Byte lanes of i8x16.shuffle: even / odd f32 lanes of two vectors, and low / high f64 lanes of two vectors.
const EVEN32 = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD32 = EVEN32.map((b) => b + 4);
const LOW64 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGH64 = LOW64.map((b) => b + 8);

/**
 * gemmNT(x, y, c, M, N, K, ldc): C[i*ldc + j] = Σ_k X[i*K + k] · Y[j*K + k], i < M, j < N; byte addresses.
 * M even, N a multiple of 4, K a multiple of the lanes (4 for f32, 2 for f64). A 2 x 4 block of C is kept in
 * eight vector accumulators while k runs (8 multiply-adds per 6 loads; 14 vector registers, under x64's 16).
 */
function gemmNT(precision: 32 | 64): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32, I32]);
  const [x, y, c, M, N, K, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const [i, j, k, kb, co] = [I32, I32, I32, I32, I32].map((t) => e.local(t));
  const xr = [e.local(I32), e.local(I32)];
  const yr = [0, 1, 2, 3].map(() => e.local(I32));
  const a = [e.local(V128), e.local(V128)];
  const b = [0, 1, 2, 3].map(() => e.local(V128));
  const acc = Array.from({ length: 8 }, () => e.local(V128)); // acc[r * 4 + s]: rows i + r, j + s
  const elt = precision === 32 ? 2 : 3; // log2 bytes per element
  const fma = (l: number, p: number, q: number) => {
    e.get(l).get(p).get(q);
    if (precision === 32) e.f32x4Mul().f32x4Add();
    else e.f64x2Mul().f64x2Add();
    e.set(l);
  };
  e.get(K).i32(elt).shl().set(kb);
  e.for(i, M, 2, () => {
    e.get(x).get(i).get(kb).mul().add().set(xr[0]);
    e.get(xr[0]).get(kb).add().set(xr[1]);
    e.for(j, N, 4, () => {
      e.get(y).get(j).get(kb).mul().add().set(yr[0]);
      for (let s = 1; s < 4; s++) e.get(yr[s - 1]).get(kb).add().set(yr[s]);
      for (const r of acc) e.zero().set(r);
      e.for(k, kb, 16, () => {
        xr.forEach((p, r) => e.get(p).get(k).add().load().set(a[r]));
        yr.forEach((p, s) => e.get(p).get(k).add().load().set(b[s]));
        for (let r = 0; r < 2; r++) for (let s = 0; s < 4; s++) fma(acc[r * 4 + s], a[r], b[s]);
      });
      e.get(c).get(i).get(ldc).mul().get(j).add().i32(elt).shl().add().set(co);
      for (let r = 0; r < 2; r++) {
        if (precision === 32) {
          // [Σacc0, Σacc1, Σacc2, Σacc3] by three pairwise shuffles-and-adds
          const h = [acc[r * 4], acc[r * 4 + 1], acc[r * 4 + 2], acc[r * 4 + 3]];
          for (const [p, q] of [[h[0], h[1]], [h[2], h[3]]]) {
            e.get(p).get(q).shuffle(EVEN32).get(p).get(q).shuffle(ODD32).f32x4Add().set(p);
          }
          e.get(co).get(h[0]).get(h[2]).shuffle(EVEN32).get(h[0]).get(h[2]).shuffle(ODD32).f32x4Add().store();
        } else {
          for (let half = 0; half < 2; half++) {
            const [p, q] = [acc[r * 4 + 2 * half], acc[r * 4 + 2 * half + 1]];
            e.get(co).get(p).get(q).shuffle(LOW64).get(p).get(q).shuffle(HIGH64).f64x2Add().store(16 * half);
          }
        }
        if (r === 0) e.get(co).get(ldc).i32(elt).shl().add().set(co);
      }
    });
  });
  return e;
}

/**
 * embedSum(e, rowBytes, ids, w, n, out): out = Σ_{p<n} w[p] · E[ids[p]] (f32 rows of rowBytes bytes, a multiple
 * of 128). Works in chunks of 32 floats kept in eight registers across all n rows.
 */
function embedSum(): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32]);
  const [E, rowBytes, ids, w, n, out] = [0, 1, 2, 3, 4, 5];
  const [c, p, n4, row] = [I32, I32, I32, I32].map((t) => e.local(t));
  const wv = e.local(V128);
  const acc = Array.from({ length: 8 }, () => e.local(V128));
  e.get(n).i32(2).shl().set(n4);
  e.for(c, rowBytes, 128, () => {
    for (const r of acc) e.zero().set(r);
    e.for(p, n4, 4, () => {
      e.get(w).get(p).add().f32Load().f32x4Splat().set(wv);
      e.get(E).get(ids).get(p).add().i32Load().get(rowBytes).mul().add().get(c).add().set(row);
      acc.forEach((r, q) => e.get(r).get(wv).get(row).load(16 * q).f32x4Mul().f32x4Add().set(r));
    });
    acc.forEach((r, q) => e.get(out).get(c).add().get(r).store(16 * q));
  });
  return e;
}

/**
 * scatterAdd(g, stride, extent, ids, w, n, src): G[ids[p]][0 .. extent) += w[p] · src[0 .. extent) for p < n
 * (distinct ids; rows of `stride` bytes, `extent` a multiple of 128 bytes: a part of each row, so that two
 * threads can take one half each).
 */
function scatterAdd(): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32, I32]);
  const [G, stride, extent, ids, w, n, src] = [0, 1, 2, 3, 4, 5, 6];
  const [c, p, n4, row] = [I32, I32, I32, I32].map((t) => e.local(t));
  const wv = e.local(V128);
  const sv = Array.from({ length: 8 }, () => e.local(V128));
  e.get(n).i32(2).shl().set(n4);
  e.for(c, extent, 128, () => {
    sv.forEach((r, q) => e.get(src).get(c).add().load(16 * q).set(r));
    e.for(p, n4, 4, () => {
      e.get(w).get(p).add().f32Load().f32x4Splat().set(wv);
      e.get(G).get(ids).get(p).add().i32Load().get(stride).mul().add().get(c).add().set(row);
      sv.forEach((r, q) => e.get(row).get(row).load(16 * q).get(wv).get(r).f32x4Mul().f32x4Add().store(16 * q));
    });
  });
  return e;
}

/**
 * embedRows(e, rowBytes, ids, w, starts, rows, out, outStride): for each r < rows, out[r] (at out + r · outStride)
 * = Σ_{p in [starts[r], starts[r + 1])} w[p] · E[ids[p]]: embedSum for a batch of texts in one call.
 */
function embedRows(): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32, I32, I32]);
  const [E, rowBytes, ids, w, starts, rows, out, outStride] = [0, 1, 2, 3, 4, 5, 6, 7];
  eachText(e, ids, w, starts, rows, (r, idsAt, wAt, count) => {
    e.get(E).get(rowBytes);
    idsAt();
    wAt();
    count();
    e.get(out).get(r).get(outStride).mul().add();
    e.call(FN.embedSum);
  });
  return e;
}

/**
 * The loop of embedRows and scatterRows: for each text r < rows, `body` with emitters that push the address of
 * its ids and weights (from starts[r]) and its count (starts[r + 1] - starts[r]).
 */
function eachText(e: Fn, ids: number, w: number, starts: number, rows: number, body: (r: number, idsAt: () => void, wAt: () => void, count: () => void) => void): void {
  const [r, p0, p1] = [I32, I32, I32].map((t) => e.local(t));
  e.for(r, rows, 1, () => {
    e.get(starts).get(r).i32(2).shl().add().i32Load(0).set(p0);
    e.get(starts).get(r).i32(2).shl().add().i32Load(4).set(p1);
    body(
      r,
      () => e.get(ids).get(p0).i32(2).shl().add(),
      () => e.get(w).get(p0).i32(2).shl().add(),
      () => e.get(p1).get(p0).sub(),
    );
  });
}

/**
 * scatterRows(g, stride, extent, ids, w, starts, rows, src, srcStride): scatterAdd for a batch of texts, text r's
 * ids and weights in [starts[r], starts[r + 1]) and its gradient at src + r · srcStride, in row order.
 */
function scatterRows(): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [G, stride, extent, ids, w, starts, rows, src, srcStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  eachText(e, ids, w, starts, rows, (r, idsAt, wAt, count) => {
    e.get(G).get(stride).get(extent);
    idsAt();
    wAt();
    count();
    e.get(src).get(r).get(srcStride).mul().add();
    e.call(FN.scatterAdd);
  });
  return e;
}

/**
 * adamRows(e, m, v, g, rowBytes, rows, coef, n, b1, b2, eps): for each of the n row ids in `rows`, Adam on
 * that row with step size coef[2i] (= lr / (1 - b1^t)) and second-moment correction coef[2i + 1]
 * (= 1 / (1 - b2^t)); the gradient row is zeroed afterwards.
 */
function adamRows(): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32]);
  const [E, M, Vv, G, rowBytes, rows, coef, n, b1, b2, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [i, k, o, n8] = [I32, I32, I32, I32].map((t) => e.local(t));
  const [vb1, vb1c, vb2, vb2c, veps, step, corr, gv, mv, vv] = Array.from({ length: 10 }, () => e.local(V128));
  e.get(b1).f32x4Splat().set(vb1);
  e.f32(1).get(b1).f32Sub().f32x4Splat().set(vb1c);
  e.get(b2).f32x4Splat().set(vb2);
  e.f32(1).get(b2).f32Sub().f32x4Splat().set(vb2c);
  e.get(eps).f32x4Splat().set(veps);
  e.get(n).i32(3).shl().set(n8);
  e.for(i, n8, 8, () => {
    e.get(coef).get(i).add().f32Load(0).f32x4Splat().set(step);
    e.get(coef).get(i).add().f32Load(4).f32x4Splat().set(corr);
    // o = rows[i / 2] * rowBytes
    e.get(rows).get(i).i32(1).shr().add().i32Load().get(rowBytes).mul().set(o);
    e.for(k, rowBytes, 16, () => {
      e.get(G).get(o).add().get(k).add().load().set(gv);
      // m = b1 m + (1 - b1) g
      e.get(vb1).get(M).get(o).add().get(k).add().load().f32x4Mul().get(vb1c).get(gv).f32x4Mul().f32x4Add().set(mv);
      // v = b2 v + (1 - b2) g²
      e.get(vb2).get(Vv).get(o).add().get(k).add().load().f32x4Mul();
      e.get(vb2c).get(gv).get(gv).f32x4Mul().f32x4Mul().f32x4Add().set(vv);
      e.get(M).get(o).add().get(k).add().get(mv).store();
      e.get(Vv).get(o).add().get(k).add().get(vv).store();
      // E -= step · m / (sqrt(v · corr) + eps)
      e.get(E).get(o).add().get(k).add();
      e.get(E).get(o).add().get(k).add().load();
      e.get(step).get(mv).f32x4Mul();
      e.get(vv).get(corr).f32x4Mul().f32x4Sqrt().get(veps).f32x4Add();
      e.f32x4Div().f32x4Sub().store();
      e.get(G).get(o).add().get(k).add().zero().store();
    });
  });
  return e;
}

/**
 * csrTimes(indptr, indices, data, rows, x, lBytes, out, transpose) with A a CSR matrix (f32 values) and X, OUT
 * f64 row-major with rows of lBytes bytes (a multiple of 128):
 *   transpose = 0: OUT[r] = Σ_p data[p] · X[indices[p]]       (A · X; OUT has A's rows)
 *   transpose = 1: OUT[indices[p]] += data[p] · X[r]           (Aᵀ · X; OUT zeroed by the caller)
 * In chunks of 16 doubles kept in eight registers while the row's entries are walked.
 */
function csrTimes(): Fn {
  const e = new Fn([I32, I32, I32, I32, I32, I32, I32, I32]);
  const [indptr, indices, data, rows, X, lBytes, OUT, transpose] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, c, p, p0, p1, row, fixed] = [I32, I32, I32, I32, I32, I32, I32].map((t) => e.local(t));
  const val = e.local(V128);
  const reg = Array.from({ length: 8 }, () => e.local(V128));
  e.for(r, rows, 1, () => {
    e.get(indptr).get(r).i32(2).shl().add().i32Load(0).i32(2).shl().set(p0);
    e.get(indptr).get(r).i32(2).shl().add().i32Load(4).i32(2).shl().set(p1);
    e.get(r).get(lBytes).mul().set(fixed); // byte offset of row r in X (transpose) or OUT (not)
    e.for(c, lBytes, 128, () => {
      // if transpose: reg = X[r] chunk, else reg = 0
      e.get(transpose).i32(0).eq().if_();
      for (const q of reg) e.zero().set(q);
      e.else_();
      reg.forEach((q, i) => e.get(X).get(fixed).add().get(c).add().load(16 * i).set(q));
      e.endIf();
      e.get(p0).set(p).block().loop();
      e.get(p).get(p1).geU().brIf(1);
      e.get(data).get(p).add().f32Load().f64PromoteF32().f64x2Splat().set(val);
      e.get(indices).get(p).add().i32Load().get(lBytes).mul().get(c).add().set(row);
      e.get(transpose).i32(0).eq().if_();
      reg.forEach((q, i) => e.get(q).get(val).get(X).get(row).add().load(16 * i).f64x2Mul().f64x2Add().set(q));
      e.else_();
      reg.forEach((q, i) =>
        e.get(OUT).get(row).add().get(OUT).get(row).add().load(16 * i).get(val).get(q).f64x2Mul().f64x2Add().store(16 * i),
      );
      e.endIf();
      e.get(p).i32(4).add().set(p).br(0).end().end();
      e.get(transpose).i32(0).eq().if_();
      reg.forEach((q, i) => e.get(OUT).get(fixed).add().get(c).add().get(q).store(16 * i));
      e.endIf();
    });
  });
  return e;
}

const EXPORTS = ['gemm32', 'gemm64', 'embedSum', 'scatterAdd', 'adamRows', 'csrTimes', 'embedRows', 'scatterRows'] as const;
/** Function indices in the module (the order of EXPORTS). */
const FN = Object.fromEntries(EXPORTS.map((name, i) => [name, i])) as Record<(typeof EXPORTS)[number], number>;
/** Parameter kinds of each export as the worker thread passes them ('i' i32, 'f' f32), in EXPORTS order. */
const ARG_KINDS = ['iiiiiii', 'iiiiiii', 'iiiiii', 'iiiiiii', 'iiiiiiiifff', 'iiiiiiii', 'iiiiiiii', 'iiiiiiiii'];

/** The kernel module; it imports its memory as env.mem (shared when a worker thread is used). */
export function kernelModuleBytes(shared: boolean, pages: number): Uint8Array<ArrayBuffer> {
  const fns = [gemmNT(32), gemmNT(64), embedSum(), scatterAdd(), adamRows(), csrTimes(), embedRows(), scatterRows()];
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([])]);
  const limits = [shared ? 0x03 : 0x01, ...uleb(pages), ...uleb(pages)];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, ...limits]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(EXPORTS.map((name, i) => [...str(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => f.encode()))),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Plain JavaScript versions (no SIMD; also the reference in tests).

type Floats = Float32Array | Float64Array;

/** C[i*N + j] = Σ_k X[i*K + k] · Y[j*K + k] (any sizes). */
export function gemmNTScalar(X: Floats, Y: Floats, C: Floats, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    const xo = i * K;
    for (let j = 0; j < N; j++) {
      const yo = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += X[xo + k] * Y[yo + k];
      C[i * N + j] = s;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JavaScript kernels that the worker thread can run too (their source is copied into the worker, so they take
// the memory's Float32Array/Float64Array views and element offsets, and use nothing from outside). The trainer's
// softmax runs in halves on the two threads with them.

/**
 * Rows [i0, i1) of S (bp columns a row, the first `cols` used): each entry becomes exp((s - 1) · invTau); the row's
 * sum goes to rowSum[i], and colPart[j] (zeroed first) sums column j over these rows.
 */
export function softmaxExpRows(f32: Float32Array, f64: Float64Array, S: number, bp: number, i0: number, i1: number, cols: number, invTau: number, rowSum: number, colPart: number): void {
  for (let j = 0; j < cols; j++) f64[colPart + j] = 0;
  for (let i = i0; i < i1; i++) {
    const so = S + i * bp;
    let rs = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp((f32[so + j] - 1) * invTau);
      f32[so + j] = e;
      rs += e;
      f64[colPart + j] += e;
    }
    f64[rowSum + i] = rs;
  }
}

/**
 * Rows [i0, i1) of S: s · (1 / rowSum[i] + colInv[j]) · scale, minus 2 · scale on the diagonal, zero past `cols`
 * (the gradient of the symmetric InfoNCE loss with respect to the similarities).
 */
export function softmaxGradRows(f32: Float32Array, f64: Float64Array, S: number, bp: number, i0: number, i1: number, cols: number, rowSum: number, colInv: number, scale: number): void {
  for (let i = i0; i < i1; i++) {
    const so = S + i * bp;
    const ri = 1 / f64[rowSum + i];
    for (let j = 0; j < cols; j++) f32[so + j] = f32[so + j] * (ri + f64[colInv + j]) * scale;
    f32[so + i] -= 2 * scale;
    for (let j = cols; j < bp; j++) f32[so + j] = 0;
  }
}

/**
 * dst[c · ld + r] = src[r · cols + c] for r < rows, c < cols: the transpose of src (rows x cols) into dst, whose
 * rows are `ld` long (rows of a larger matrix's transpose can be done apart). In 32 x 32 tiles: a plain
 * transpose misses the cache on every write.
 */
export function transposeTiles(f32: Float32Array, _f64: Float64Array, src: number, dst: number, rows: number, cols: number, ld: number): void {
  for (let r0 = 0; r0 < rows; r0 += 32) {
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const r1 = Math.min(rows, r0 + 32);
      const c1 = Math.min(cols, c0 + 32);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) f32[dst + c * ld + r] = f32[src + r * cols + c];
    }
  }
}

const JS_KERNELS = { softmaxExpRows, softmaxGradRows, transposeTiles } as const;
type JsKernel = keyof typeof JS_KERNELS;
/** Their order in the worker's table, and which of their arguments (after the two views) are floats. */
const JS_NAMES = Object.keys(JS_KERNELS) as JsKernel[];
const JS_FLOATS: Record<JsKernel, number[]> = { softmaxExpRows: [5], softmaxGradRows: [7], transposeTiles: [] };

// The worker thread: waits for a request in `control` (c[0] its sequence number, c[2] 1 + the export's index or 0
// to stop, c[3..] the arguments, f32 ones as bits), runs it, and reports the sequence number in c[1].
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names, kinds, jsNames, jsFloats } = workerData;
const k = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const c = new Int32Array(control);
const f = new Float32Array(control);
const d = new Float64Array(control);
const f32 = new Float32Array(memory.buffer);
const f64 = new Float64Array(memory.buffer);
const js = [${JS_NAMES.map((n) => JS_KERNELS[n].toString()).join(', ')}];
let seen = 0;
for (;;) {
  Atomics.wait(c, 0, seen);
  seen = Atomics.load(c, 0);
  if (c[2] === 0) break;
  if (c[2] >= 100) {
    const op = c[2] - 100;
    const args = [];
    for (let i = 0; i < c[15]; i++) args.push(jsFloats[op].includes(i) ? d[8 + i] : c[3 + i]);
    js[op](f32, f64, ...args);
  } else {
    const op = c[2] - 1;
    const args = [];
    for (let i = 0; i < kinds[op].length; i++) args.push(kinds[op][i] === 'f' ? f[3 + i] : c[3 + i]);
    k[names[op]](...args);
  }
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
}
`;

let simdSupport: boolean | undefined;
/** Whether this runtime validates the SIMD kernels (Node >= 16.4 does). */
export function wasmSimdAvailable(): boolean {
  if (simdSupport === undefined) {
    try {
      simdSupport = WebAssembly.validate(kernelModuleBytes(false, 1));
    } catch {
      simdSupport = false;
    }
  }
  return simdSupport;
}

export interface WorkspaceOptions {
  /** Capacity in bytes; every array comes from it (16-byte aligned). */
  bytes: number;
  /** 1 (default) or 2: a worker thread computes half of each large product. */
  threads?: number;
  /** Force the plain JavaScript kernels (tests compare both). */
  scalar?: boolean;
}

type Kernels = { [K in (typeof EXPORTS)[number]]: (...args: number[]) => void };

/**
 * A workspace of typed arrays in one (WebAssembly) memory and the kernels over them. Arrays passed to the
 * kernels must come from this workspace's `f32`/`f64`/`i32`. Call `dispose()` to stop the worker thread.
 */
export class KernelWorkspace {
  readonly simd: boolean;
  readonly threads: number;
  private readonly buffer: ArrayBufferLike;
  private readonly k: Kernels | null = null;
  private readonly worker: Worker | null = null;
  private control: Int32Array | null = null;
  private seq = 0;
  private used = 0;
  private readonly capacity: number;

  constructor(options: WorkspaceOptions) {
    this.simd = !options.scalar && wasmSimdAvailable();
    this.threads = this.simd ? Math.max(1, Math.min(2, Math.floor(options.threads ?? 1))) : 1;
    this.capacity = Math.ceil(options.bytes / 16) * 16 + 64;
    if (!this.simd) {
      this.buffer = new ArrayBuffer(this.capacity);
      return;
    }
    const pages = Math.ceil(this.capacity / 65536);
    const shared = this.threads > 1;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared } as WebAssembly.MemoryDescriptor);
    const module = new WebAssembly.Module(kernelModuleBytes(shared, pages));
    this.k = new WebAssembly.Instance(module, { env: { mem: memory } }).exports as unknown as Kernels;
    this.buffer = memory.buffer;
    this.used = 64; // address 0 stays unused
    if (shared) {
      // 16 ints (request, reply, operation, arguments, count of a JavaScript kernel's arguments), then 8 doubles
      // (a JavaScript kernel's float arguments, at 8 + their index).
      const control = new SharedArrayBuffer(16 * 4 + 16 * 8);
      this.control = new Int32Array(control);
      this.worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control, names: [...EXPORTS], kinds: ARG_KINDS, jsNames: JS_NAMES, jsFloats: JS_NAMES.map((n) => JS_FLOATS[n]) },
      });
      this.worker.unref();
    }
  }

  private take(bytes: number): number {
    const at = this.used;
    const size = Math.ceil(bytes / 16) * 16;
    if (at + size > this.capacity) throw new Error(`kernel workspace: out of capacity (${this.capacity} bytes)`);
    this.used += size;
    return at;
  }

  /**
   * Where the next array would start: `release(mark)` frees every array taken since (they must not be used
   * again) and zeroes their bytes, so that arrays taken later start at zero as new ones do.
   */
  mark(): number {
    return this.used;
  }
  release(mark: number): void {
    if (mark < 0 || mark > this.used) throw new Error('kernel workspace: bad mark');
    new Uint8Array(this.buffer, mark, this.used - mark).fill(0);
    this.used = mark;
  }

  f32(n: number): Float32Array {
    return new Float32Array(this.buffer, this.take(n * 4), n);
  }
  f64(n: number): Float64Array {
    return new Float64Array(this.buffer, this.take(n * 8), n);
  }
  i32(n: number): Int32Array {
    return new Int32Array(this.buffer, this.take(n * 4), n);
  }

  /** Whether the array is a view of this workspace's memory. */
  holds(a: { buffer: ArrayBufferLike }): boolean {
    return a.buffer === this.buffer;
  }

  private check(...arrays: { buffer: ArrayBufferLike }[]): void {
    for (const a of arrays) if (a.buffer !== this.buffer) throw new Error('kernel: array not from this workspace');
  }

  /**
   * C (M x N, row stride N) = X (M x K) · Y (N x K)ᵀ, row-major, Float32Array or Float64Array (all the same).
   * With SIMD: M even, N a multiple of 4, K a multiple of 4 (callers pad with zeros).
   */
  gemmNT<T extends Float32Array | Float64Array>(X: T, Y: T, C: T, M: number, N: number, K: number): void {
    if (!this.k) {
      gemmNTScalar(X, Y, C, M, N, K);
      return;
    }
    if (M % 2 !== 0 || N % 4 !== 0 || K % 4 !== 0) throw new Error(`gemmNT: shape ${M}x${N}x${K} is not padded`);
    if (X.length < M * K || Y.length < N * K || C.length < M * N) throw new Error('gemmNT: array too short');
    this.check(X, Y, C);
    const op = X instanceof Float32Array ? 1 : 2;
    const run = op === 1 ? this.k.gemm32 : this.k.gemm64;
    const control = this.control;
    // Split the rows of C with the worker when the product is large enough to pay for the handoff (~50 µs), or
    // its columns when it has few rows (a query against every paper's vector).
    if (!control || M * N * K < 1 << 22 || (M < 8 && N < 8192)) {
      run(X.byteOffset, Y.byteOffset, C.byteOffset, M, N, K, N);
      return;
    }
    if (M < 8) {
      const h = (N >> 3) << 2; // a multiple of 4
      const bytes = X.BYTES_PER_ELEMENT;
      this.split(op === 1 ? 'gemm32' : 'gemm64', [X.byteOffset, Y.byteOffset, C.byteOffset, M, h, K, N], () =>
        run(X.byteOffset, Y.byteOffset + h * K * bytes, C.byteOffset + h * bytes, M, N - h, K, N),
      );
      return;
    }
    const half = (M >> 2) << 1; // even
    const bytes = X.BYTES_PER_ELEMENT;
    this.split(op === 1 ? 'gemm32' : 'gemm64', [X.byteOffset, Y.byteOffset, C.byteOffset, half, N, K, N], () =>
      run(X.byteOffset + half * K * bytes, Y.byteOffset, C.byteOffset + half * N * bytes, M - half, N, K, N),
    );
  }

  private views: { f32: Float32Array; f64: Float64Array } | null = null;

  /**
   * Runs the JavaScript kernel `name` with `args` on the worker thread while `here` runs on this one (without a
   * worker, both here, the kernel first); returns when both are done.
   */
  private splitJs(name: JsKernel, args: number[], here: () => void): void {
    this.views ??= { f32: new Float32Array(this.buffer), f64: new Float64Array(this.buffer) };
    const control = this.control;
    if (!control) {
      (JS_KERNELS[name] as (f32: Float32Array, f64: Float64Array, ...rest: number[]) => void)(this.views.f32, this.views.f64, ...args);
      here();
      return;
    }
    const d = new Float64Array(control.buffer);
    const floats = JS_FLOATS[name];
    control[2] = 100 + JS_NAMES.indexOf(name);
    control[15] = args.length;
    args.forEach((a, i) => {
      if (floats.includes(i)) d[8 + i] = a;
      else control[3 + i] = a;
    });
    this.handOff(control, here);
  }

  /**
   * The symmetric InfoNCE softmax's first half, on the first `rows` rows and columns of S (row stride bp): every
   * entry s becomes exp((s - 1) · invTau), rowSum[i] the sums of the rows; colA the column sums over the first
   * half of the rows, colB over the second (two threads take a half each; one thread gives the same bits).
   */
  softmaxExp(S: Float32Array, bp: number, rows: number, invTau: number, rowSum: Float64Array, colA: Float64Array, colB: Float64Array): void {
    this.check(S, rowSum, colA, colB);
    const h = rows >> 1;
    const s = S.byteOffset / 4;
    this.splitJs('softmaxExpRows', [s, bp, 0, h, rows, invTau, rowSum.byteOffset / 8, colA.byteOffset / 8], () =>
      softmaxExpRows(this.views!.f32, this.views!.f64, s, bp, h, rows, rows, invTau, rowSum.byteOffset / 8, colB.byteOffset / 8),
    );
  }

  /** Its second half: S becomes dL/dS (softmaxGradRows), rows split between the threads. */
  softmaxGrad(S: Float32Array, bp: number, rows: number, rowSum: Float64Array, colInv: Float64Array, scale: number): void {
    this.check(S, rowSum, colInv);
    const h = rows >> 1;
    const s = S.byteOffset / 4;
    const r = rowSum.byteOffset / 8;
    const c = colInv.byteOffset / 8;
    this.splitJs('softmaxGradRows', [s, bp, 0, h, rows, r, c, scale], () => softmaxGradRows(this.views!.f32, this.views!.f64, s, bp, h, rows, rows, r, c, scale));
  }

  /** dst (cols x rows) = src (rows x cols)ᵀ for each pair: the first here, the second on the worker thread. */
  transposePair(a: [Float32Array, Float32Array, number, number], b: [Float32Array, Float32Array, number, number]): void {
    this.check(a[0], a[1], b[0], b[1]);
    const args = (t: [Float32Array, Float32Array, number, number]) => [t[0].byteOffset / 4, t[1].byteOffset / 4, t[2], t[3], t[2]];
    this.splitJs('transposeTiles', args(b), () => {
      const [src, dst, rows, cols, ld] = args(a);
      transposeTiles(this.views!.f32, this.views!.f64, src, dst, rows, cols, ld);
    });
  }

  /** dst (n x n) = src (n x n)ᵀ, half of the rows on each thread. */
  transposeSquare(src: Float32Array, dst: Float32Array, n: number): void {
    this.check(src, dst);
    const h = n >> 1;
    const [s, d] = [src.byteOffset / 4, dst.byteOffset / 4];
    this.splitJs('transposeTiles', [s, d, h, n, n], () => transposeTiles(this.views!.f32, this.views!.f64, s + h * n, d + h, n - h, n, n));
  }

  /** Wakes the worker for the request written in `control`, runs `here`, and waits until the worker is done. */
  private handOff(control: Int32Array, here: () => void): void {
    const seq = ++this.seq;
    Atomics.store(control, 0, seq);
    Atomics.notify(control, 0);
    here();
    for (;;) {
      const done = Atomics.load(control, 1);
      if (done === seq) break;
      Atomics.wait(control, 1, done, 1000);
    }
  }

  /** Runs the kernel `name` with `args` on the worker thread while `here` runs on this one; returns when both are done. */
  private split(name: (typeof EXPORTS)[number], args: number[], here: () => void): void {
    const control = this.control!;
    const op = FN[name];
    const f = new Float32Array(control.buffer);
    control[2] = op + 1;
    args.forEach((a, i) => {
      if (ARG_KINDS[op][i] === 'f') f[3 + i] = a;
      else control[3 + i] = a;
    });
    this.handOff(control, here);
  }

  /**
   * out[outOffset ..+ dim] = Σ_{p in [from, to)} w[p] · E[ids[p]] (E vocabulary x dim, dim a multiple of 32).
   */
  embedSum(
    E: Float32Array,
    dim: number,
    ids: Int32Array,
    w: Float32Array,
    from: number,
    to: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    if (this.k && dim % 32 === 0) {
      this.check(E, ids, w, out);
      this.k.embedSum(E.byteOffset, dim * 4, ids.byteOffset + from * 4, w.byteOffset + from * 4, to - from, out.byteOffset + outOffset * 4);
      return;
    }
    out.fill(0, outOffset, outOffset + dim);
    for (let p = from; p < to; p++) {
      const wp = w[p];
      const eo = ids[p] * dim;
      for (let d = 0; d < dim; d++) out[outOffset + d] += wp * E[eo + d];
    }
  }

  /** G[ids[p]] += w[p] · src[srcOffset ..+ dim] for p in [from, to); the ids must be distinct. */
  scatterAdd(
    G: Float32Array,
    dim: number,
    ids: Int32Array,
    w: Float32Array,
    from: number,
    to: number,
    src: Float32Array,
    srcOffset: number,
  ): void {
    if (this.k && dim % 32 === 0) {
      this.check(G, ids, w, src);
      this.k.scatterAdd(G.byteOffset, dim * 4, dim * 4, ids.byteOffset + from * 4, w.byteOffset + from * 4, to - from, src.byteOffset + srcOffset * 4);
      return;
    }
    for (let p = from; p < to; p++) {
      const wp = w[p];
      const go = ids[p] * dim;
      for (let d = 0; d < dim; d++) G[go + d] += wp * src[srcOffset + d];
    }
  }

  /**
   * For each text r < rows: out[r · dim ..+ dim] = Σ_{p in [starts[r], starts[r + 1])} w[p] · E[ids[p]] (embedSum
   * for a batch; with two threads each takes half of the texts).
   */
  embedRows(E: Float32Array, dim: number, ids: Int32Array, w: Float32Array, starts: Int32Array, rows: number, out: Float32Array): void {
    if (this.k && dim % 32 === 0) {
      this.check(E, ids, w, starts, out);
      const run = (r0: number, r1: number) =>
        this.k!.embedRows(E.byteOffset, dim * 4, ids.byteOffset, w.byteOffset, starts.byteOffset + r0 * 4, r1 - r0, out.byteOffset + r0 * dim * 4, dim * 4);
      const half = rows >> 1;
      if (this.control && rows >= 8) {
        this.split('embedRows', [E.byteOffset, dim * 4, ids.byteOffset, w.byteOffset, starts.byteOffset, half, out.byteOffset, dim * 4], () => run(half, rows));
      } else run(0, rows);
      return;
    }
    for (let r = 0; r < rows; r++) this.embedSum(E, dim, ids, w, starts[r], starts[r + 1], out, r * dim);
  }

  /**
   * For each text r < rows, in order: G[ids[p]] += w[p] · src[r · dim ..+ dim] for p in [starts[r], starts[r + 1])
   * (scatterAdd for a batch; with two threads each takes half of every row's dimensions).
   */
  scatterRows(G: Float32Array, dim: number, ids: Int32Array, w: Float32Array, starts: Int32Array, rows: number, src: Float32Array): void {
    if (this.k && dim % 32 === 0) {
      this.check(G, ids, w, starts, src);
      const halfBytes = dim % 64 === 0 ? dim * 2 : 0; // halves of whole 128-byte chunks
      const run = (offset: number, extent: number) =>
        this.k!.scatterRows(G.byteOffset + offset, dim * 4, extent, ids.byteOffset, w.byteOffset, starts.byteOffset, rows, src.byteOffset + offset, dim * 4);
      if (this.control && halfBytes > 0 && rows >= 8) {
        this.split('scatterRows', [G.byteOffset, dim * 4, halfBytes, ids.byteOffset, w.byteOffset, starts.byteOffset, rows, src.byteOffset, dim * 4], () =>
          run(halfBytes, dim * 4 - halfBytes),
        );
      } else run(0, dim * 4);
      return;
    }
    for (let r = 0; r < rows; r++) this.scatterAdd(G, dim, ids, w, starts[r], starts[r + 1], src, r * dim);
  }

  /**
   * Adam on the n rows listed in `rows`: step size coef[2i] (lr / (1 - β1^t)), second-moment correction
   * coef[2i + 1] (1 / (1 - β2^t)); each gradient row is zeroed afterwards.
   */
  adamRows(
    E: Float32Array,
    m: Float32Array,
    v: Float32Array,
    g: Float32Array,
    dim: number,
    rows: Int32Array,
    coef: Float32Array,
    n: number,
    beta1: number,
    beta2: number,
    eps: number,
  ): void {
    if (this.k && dim % 4 === 0) {
      this.check(E, m, v, g, rows, coef);
      const run = (i0: number, i1: number) =>
        this.k!.adamRows(E.byteOffset, m.byteOffset, v.byteOffset, g.byteOffset, dim * 4, rows.byteOffset + i0 * 4, coef.byteOffset + i0 * 8, i1 - i0, beta1, beta2, eps);
      const half = n >> 1;
      if (this.control && n >= 64) {
        // The rows are distinct: each thread updates half of them.
        this.split('adamRows', [E.byteOffset, m.byteOffset, v.byteOffset, g.byteOffset, dim * 4, rows.byteOffset, coef.byteOffset, half, beta1, beta2, eps], () =>
          run(half, n),
        );
      } else run(0, n);
      return;
    }
    const b1 = Math.fround(beta1);
    const b2 = Math.fround(beta2);
    for (let i = 0; i < n; i++) {
      const o = rows[i] * dim;
      const step = coef[2 * i];
      const corr = coef[2 * i + 1];
      for (let d = 0; d < dim; d++) {
        const gd = g[o + d];
        const md = (m[o + d] = b1 * m[o + d] + (1 - b1) * gd);
        const vd = (v[o + d] = b2 * v[o + d] + (1 - b2) * gd * gd);
        E[o + d] -= (step * md) / (Math.sqrt(vd * corr) + eps);
        g[o + d] = 0;
      }
    }
  }

  /**
   * With A a CSR matrix (rows x cols, Float32 values) whose arrays come from this workspace:
   * OUT (rows x l) = A · X (X cols x l), or with `transpose`, OUT (cols x l) = Aᵀ · X (X rows x l); row-major f64.
   * With `transpose` and `accumulate`, OUT += Aᵀ · X (rows of A taken in chunks). `indptr` may be a window of a
   * larger matrix's (its offsets index `indices` and `data` as they are).
   */
  csrTimes(
    A: { rows: number; indptr: Int32Array; indices: Int32Array; data: Float32Array },
    X: Float64Array,
    l: number,
    out: Float64Array,
    transpose: boolean,
    accumulate = false,
  ): void {
    const { indptr, indices, data, rows } = A;
    if (this.k && l % 16 === 0) {
      if (transpose && !accumulate) out.fill(0);
      this.check(indptr, indices, data, X, out);
      this.k.csrTimes(indptr.byteOffset, indices.byteOffset, data.byteOffset, rows, X.byteOffset, l * 8, out.byteOffset, transpose ? 1 : 0);
      return;
    }
    if (!transpose || !accumulate) out.fill(0);
    for (let r = 0; r < rows; r++) {
      for (let p = indptr[r]; p < indptr[r + 1]; p++) {
        const v = data[p];
        const [to, from] = transpose ? [indices[p] * l, r * l] : [r * l, indices[p] * l];
        for (let c = 0; c < l; c++) out[to + c] += v * X[from + c];
      }
    }
  }

  /** Stops the worker thread; the arrays stay usable, and the kernels run on this thread from then on. */
  dispose(): void {
    if (this.worker && this.control) {
      this.control[2] = 0;
      Atomics.store(this.control, 0, ++this.seq);
      Atomics.notify(this.control, 0);
      void this.worker.terminate();
    }
    this.control = null;
  }
}
