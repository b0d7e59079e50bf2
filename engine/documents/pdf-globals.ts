/**
 * Globals pdf.js's legacy build needs when it is evaluated: `DOMMatrix` is constructed at module
 * load (a canvas helper), and pdf.js only polyfills it from the optional native package
 * `@napi-rs/canvas`, which a bundle placed away from node_modules cannot resolve. Import this
 * module BEFORE pdfjs-dist. It uses @napi-rs/canvas when it resolves, else installs a small
 * 2-D affine matrix with the members pdf.js's canvas code calls. Ingest only extracts text, so
 * the canvas paths never run; the matrix is still a correct 2-D affine implementation.
 */
import { createRequire } from 'node:module';

type M6 = [number, number, number, number, number, number];

class AffineMatrix {
  a = 1;
  b = 0;
  c = 0;
  d = 1;
  e = 0;
  f = 0;
  readonly is2D = true;

  constructor(init?: ArrayLike<number> | { a: number; b: number; c: number; d: number; e: number; f: number }) {
    if (!init) return;
    if ('length' in init && init.length >= 6) [this.a, this.b, this.c, this.d, this.e, this.f] = Array.from(init).slice(0, 6) as M6;
    else if ('a' in init) ({ a: this.a, b: this.b, c: this.c, d: this.d, e: this.e, f: this.f } = init);
  }

  private set(m: M6): this {
    [this.a, this.b, this.c, this.d, this.e, this.f] = m;
    return this;
  }

  /** this = this x o */
  multiplySelf(o: AffineMatrix | ArrayLike<number> = new AffineMatrix()): this {
    const m = o instanceof AffineMatrix ? o : new AffineMatrix(o);
    return this.set([
      this.a * m.a + this.c * m.b,
      this.b * m.a + this.d * m.b,
      this.a * m.c + this.c * m.d,
      this.b * m.c + this.d * m.d,
      this.a * m.e + this.c * m.f + this.e,
      this.b * m.e + this.d * m.f + this.f,
    ]);
  }

  /** this = o x this */
  preMultiplySelf(o: AffineMatrix | ArrayLike<number> = new AffineMatrix()): this {
    const m = o instanceof AffineMatrix ? new AffineMatrix(o) : new AffineMatrix(o);
    const r = m.multiplySelf(this);
    return this.set([r.a, r.b, r.c, r.d, r.e, r.f]);
  }

  translate(x = 0, y = 0): AffineMatrix {
    return new AffineMatrix(this).multiplySelf([1, 0, 0, 1, x, y]);
  }

  scale(sx = 1, sy = sx): AffineMatrix {
    return new AffineMatrix(this).multiplySelf([sx, 0, 0, sy, 0, 0]);
  }

  invertSelf(): this {
    const det = this.a * this.d - this.b * this.c;
    if (det === 0) return this.set([NaN, NaN, NaN, NaN, NaN, NaN]);
    return this.set([this.d / det, -this.b / det, -this.c / det, this.a / det, (this.c * this.f - this.d * this.e) / det, (this.b * this.e - this.a * this.f) / det]);
  }
}

const g = globalThis as { DOMMatrix?: unknown };
if (!g.DOMMatrix) {
  try {
    g.DOMMatrix = (createRequire(import.meta.url)('@napi-rs/canvas') as { DOMMatrix: unknown }).DOMMatrix;
  } catch {
    g.DOMMatrix = AffineMatrix;
  }
}

export { AffineMatrix };
