// `npm test`: install what is needed, then run every suite (tools/test-runner/src/main.ts).
import { ensureDependencies, runTs } from './ensure-deps.mjs';

ensureDependencies();
runTs('tools/test-runner/src/main.ts', process.argv.slice(2));
