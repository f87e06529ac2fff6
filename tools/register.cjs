// Lets `node -r ./tools/register.cjs file.ts` run the workspace's TypeScript directly:
// swc compiles on the fly and rewrites the @tenk/* paths from tsconfig.base.json.
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
