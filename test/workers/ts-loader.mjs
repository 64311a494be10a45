// Lets a plain `node` process run this repository's TypeScript sources, for tests that need
// real separate processes (SIGKILL a worker). Usage:
//   node --conditions=kinesis-kit-source --import ./test/workers/ts-loader.mjs script.ts
// `kinesis-kit-source` points workspace packages at src/ (as vitest does); the hooks below map
// `./x.js` imports to `./x.ts` and strip types with the oxc transform of rolldown, which vite
// (and so vitest) already ships: no extra dependency.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
