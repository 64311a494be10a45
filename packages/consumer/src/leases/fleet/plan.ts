/** TEMPORARY even-share planner (replaced by the planner branch). */
export interface PlanInput {
  readonly workers: readonly string[];
  readonly leases: readonly PlannedLease[];
  readonly balanceThroughput: boolean;
  readonly tolerance: number;
  readonly minWeight: number;
  readonly maxMoves: number;
}
export interface PlannedLease {
  readonly leaseKey: string;
  readonly owner: string | undefined;
  readonly throughputKBps: number | undefined;
}
export interface Plan {
  readonly assign: readonly { readonly leaseKey: string; readonly to: string }[];
  readonly move: readonly { readonly leaseKey: string; readonly from: string; readonly to: string }[];
}
export function planAssignment(input: PlanInput): Plan {
  const workers = [...input.workers].sort();
  const owned = new Map<string, string[]>(workers.map((w) => [w, []]));
  const unowned: string[] = [];
  for (const l of [...input.leases].sort((a, b) => (a.leaseKey < b.leaseKey ? -1 : 1))) {
    if (l.owner !== undefined && owned.has(l.owner)) owned.get(l.owner)!.push(l.leaseKey);
    else unowned.push(l.leaseKey);
  }
  const n = input.leases.length;
  const base = Math.floor(n / workers.length);
  const extra = n % workers.length;
  const order = [...workers].sort((a, b) => owned.get(b)!.length - owned.get(a)!.length || (a < b ? -1 : 1));
  const share = new Map(order.map((w, i) => [w, base + (i < extra ? 1 : 0)]));
  const move: { leaseKey: string; from: string; to: string }[] = [];
  const surplus: { leaseKey: string; from: string }[] = [];
  for (const w of order) for (const k of owned.get(w)!.slice(share.get(w)!)) surplus.push({ leaseKey: k, from: w });
  const assign: { leaseKey: string; to: string }[] = [];
  for (const w of [...order].reverse()) {
    let deficit = share.get(w)! - owned.get(w)!.length;
    while (deficit > 0 && unowned.length > 0) { assign.push({ leaseKey: unowned.shift()!, to: w }); deficit--; }
    while (deficit > 0 && surplus.length > 0 && move.length < input.maxMoves) { const s = surplus.shift()!; move.push({ ...s, to: w }); deficit--; }
  }
  return { assign, move };
}
