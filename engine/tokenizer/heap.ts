/**
 * A binary min-heap of merge candidates for the BPE and SPM tokenizers: (priority, left) pairs
 * with two payload ints, in growable typed arrays (no per-entry objects). Smaller priority pops
 * first; ties pop the smaller `left` first, which is llama.cpp's leftmost-first rule.
 * SPM pushes -score as the priority so the highest score pops first.
 */
export class MergeHeap {
  private prio = new Float64Array(64);
  private left = new Int32Array(64);
  private a = new Int32Array(64);
  private b = new Int32Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  private less(i: number, j: number): boolean {
    const pi = this.prio[i]!;
    const pj = this.prio[j]!;
    return pi < pj || (pi === pj && this.left[i]! < this.left[j]!);
  }

  private swap(i: number, j: number): void {
    const p = this.prio[i]!; this.prio[i] = this.prio[j]!; this.prio[j] = p;
    const l = this.left[i]!; this.left[i] = this.left[j]!; this.left[j] = l;
    const x = this.a[i]!; this.a[i] = this.a[j]!; this.a[j] = x;
    const y = this.b[i]!; this.b[i] = this.b[j]!; this.b[j] = y;
  }

  private grow(): void {
    const cap = this.prio.length * 2;
    const p = new Float64Array(cap); p.set(this.prio); this.prio = p;
    const l = new Int32Array(cap); l.set(this.left); this.left = l;
    const a = new Int32Array(cap); a.set(this.a); this.a = a;
    const b = new Int32Array(cap); b.set(this.b); this.b = b;
  }

  push(prio: number, left: number, a: number, b: number): void {
    if (this.size === this.prio.length) this.grow();
    let i = this.size++;
    this.prio[i] = prio; this.left[i] = left; this.a[i] = a; this.b[i] = b;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Pops the top into `out` = [prio, left, a, b]; false when empty. */
  pop(out: Float64Array): boolean {
    if (this.size === 0) return false;
    out[0] = this.prio[0]!; out[1] = this.left[0]!; out[2] = this.a[0]!; out[3] = this.b[0]!;
    const last = --this.size;
    if (last > 0) {
      this.prio[0] = this.prio[last]!; this.left[0] = this.left[last]!; this.a[0] = this.a[last]!; this.b[0] = this.b[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const m = r < last && this.less(r, l) ? r : l;
        if (!this.less(m, i)) break;
        this.swap(m, i);
        i = m;
      }
    }
    return true;
  }
}
