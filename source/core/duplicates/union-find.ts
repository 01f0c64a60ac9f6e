/**
 * Disjoint sets over rows 0..n-1 (union by size, path halving) in typed arrays, so a million rows cost 8 MB
 * and near-constant time per operation. Groups are joined transitively: a~b and b~c put a, b and c together.
 */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(readonly count: number) {
    this.parent = new Int32Array(count);
    this.size = new Int32Array(count).fill(1);
    for (let i = 0; i < count; i++) this.parent[i] = i;
  }

  find(row: number): number {
    const parent = this.parent;
    let at = row;
    while (parent[at] !== at) {
      parent[at] = parent[parent[at]!]!;
      at = parent[at]!;
    }
    return at;
  }

  /** Joins the sets of a and b; false when they were already one. */
  union(a: number, b: number): boolean {
    let rootA = this.find(a);
    let rootB = this.find(b);
    if (rootA === rootB) return false;
    if (this.size[rootA]! < this.size[rootB]!) [rootA, rootB] = [rootB, rootA];
    this.parent[rootB] = rootA;
    this.size[rootA]! += this.size[rootB]!;
    return true;
  }

  /** Rows of every set with at least `minSize` members, each ascending, sets ordered by their first row. */
  sets(minSize = 2): number[][] {
    const byRoot = new Map<number, number[]>();
    for (let row = 0; row < this.count; row++) {
      const root = this.find(row);
      if (this.size[root]! < minSize) continue;
      const members = byRoot.get(root);
      if (members) members.push(row);
      else byRoot.set(root, [row]);
    }
    return [...byRoot.values()];
  }
}
