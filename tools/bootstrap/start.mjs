// `npm start`: install what is needed, then start the whole shop (tools/shop/src/start.ts).
import { ensureDependencies, runTs } from './ensure-deps.mjs';

// The box the shop prints says how long the whole command took, installing included.
process.env.TENK_COMMAND_STARTED_AT ??= String(Date.now());
ensureDependencies();
runTs('tools/shop/src/start.ts', process.argv.slice(2));
