// Unit tests of every project in one Jest run (`npm run test:unit`); `nx test <project>`
// runs one project's. Unit tests are `*.spec.ts` beside the code and need no services.
const { readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs', 'tools']
  .flatMap((dir) => readdirSync(path.join(__dirname, dir)).map((name) => path.join(__dirname, dir, name)))
  .filter((root) => existsSync(path.join(root, 'jest.config.cjs')));

module.exports = { projects };
