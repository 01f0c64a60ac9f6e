/**
 * The k best (highest-scoring) rows seen so far, in a bounded min-heap over typed arrays: the worst kept row sits
 * at the root, so each new row costs one comparison unless it beats it. Ties go to the lower row index, so results
 * are deterministic.
 */
export interface ScoredRow {
  row: number;
  score: number;
}

export class TopK {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    this.scores = new Float64Array(k);
    this.rows = new Int32Array(k);
  }

  /** The score a row must beat to enter (−Infinity until the heap is full). */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!;
  }

  push(row: number, score: number): void {
    if (this.k === 0 || Number.isNaN(score)) return;
    if (this.size < this.k) {
      this.scores[this.size] = score;
      this.rows[this.size] = row;
      this.siftUp(this.size++);
    } else if (this.worse(0, score, row)) {
      this.scores[0] = score;
      this.rows[0] = row;
      this.siftDown(0);
    }
  }

  /** Best first. */
  sorted(): ScoredRow[] {
    const out: ScoredRow[] = [];
    for (let i = 0; i < this.size; i++) out.push({row: this.rows[i]!, score: this.scores[i]!});
    return out.sort((a, b) => b.score - a.score || a.row - b.row);
  }

  /** Whether the entry at `slot` ranks below (score, row). */
  private worse(slot: number, score: number, row: number): boolean {
    const kept = this.scores[slot]!;
    return kept < score || (kept === score && this.rows[slot]! > row);
  }

  private below(a: number, b: number): boolean {
    return this.worse(a, this.scores[b]!, this.rows[b]!);
  }

  private swap(a: number, b: number): void {
    const score = this.scores[a]!;
    const row = this.rows[a]!;
    this.scores[a] = this.scores[b]!;
    this.rows[a] = this.rows[b]!;
    this.scores[b] = score;
    this.rows[b] = row;
  }

  private siftUp(slot: number): void {
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (!this.below(slot, parent)) break;
      this.swap(slot, parent);
      slot = parent;
    }
  }

  private siftDown(slot: number): void {
    for (;;) {
      const left = 2 * slot + 1;
      const right = left + 1;
      let worst = slot;
      if (left < this.size && this.below(left, worst)) worst = left;
      if (right < this.size && this.below(right, worst)) worst = right;
      if (worst === slot) return;
      this.swap(slot, worst);
      slot = worst;
    }
  }
}
