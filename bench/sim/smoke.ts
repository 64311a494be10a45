import { runScale } from './scenarios.js';
import { currentDesign } from './designs/current.js';
const [W, N, start, windowMs] = [Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 1000), (process.argv[4] ?? 'cold') as 'cold' | 'warm', Number(process.argv[5] ?? 20_000)];
const events = (process.argv[6] ?? 'stop,stopLeader,kill,join,skew').split(',').filter(Boolean) as never[];
const r = await runScale(currentDesign, { workers: W, leases: N, start, windowMs, checkpointEveryMs: Number(process.argv[7] ?? 10_000), events }, 2000, (m) => console.error(m, ((performance.now())/1000).toFixed(1)));
console.log(JSON.stringify({ ...r, idle: [...r.idle.byOperation], busy: r.busy && [...r.busy.byOperation] }, null, 1));
process.exit(0);
