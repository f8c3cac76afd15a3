// `[MAX_VUS=N] [SETTLE_TIMEOUT_S=S] npx vite-node test/loadtest/live-check.ts SCENARIO [SPEEDUP|-] [SEEDS] [SEGMENTS]`: one live run of a
// shipped scenario on the k6 stand-in against invsim serve, each measure beside its prediction.
import { liveCheck } from './live-run.js';

await liveCheck(process.argv.slice(2));
