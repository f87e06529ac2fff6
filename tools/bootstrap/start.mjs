// `npm start`: install what is needed, then start the whole shop (tools/shop/src/start.ts).
import { ensureDependencies, runTs } from './ensure-deps.mjs';

ensureDependencies();
runTs('tools/shop/src/start.ts', process.argv.slice(2));
