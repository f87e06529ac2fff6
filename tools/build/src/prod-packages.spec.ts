import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { imagePackage, IMAGE_ENTRIES, packageOf, packagesReached } from './prod-packages';

/** A tiny built tree: an entry, a lib reached through a relative require, and a lib nobody requires. */
function tree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenk-prod-packages-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write(
    'dist/apps/a/src/main.js',
    'const x = require("../../../libs/q/src");\nrequire("node:fs");\nrequire("path");\nrequire("@nestjs/core");',
  );
  write('dist/libs/q/src/index.js', 'require("./deep");\nrequire("pino/file");');
  write(
    'dist/libs/q/src/deep.js',
    'require("@scope/pkg/sub/path");\nconst source = `require(${JSON.stringify(require.resolve(\'bcryptjs\'))})`;',
  );
  write('dist/libs/unused/src/index.js', 'require("typeorm");');
  return root;
}

describe('prod-packages: each image gets the packages its programs load, and no others', () => {
  it('names the package of a bare specifier, and none for Node built-ins or relative paths', () => {
    expect(packageOf('@scope/pkg/sub/path')).toBe('@scope/pkg');
    expect(packageOf('pino/file')).toBe('pino');
    expect(['node:fs', 'path', './x', '../y'].map(packageOf)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('follows relative requires from the entry and ignores files it never reaches', () => {
    expect([...packagesReached(tree(), ['dist/apps/a/src/main.js'])].sort()).toEqual(['@nestjs/core', '@scope/pkg', 'bcryptjs', 'pino']);
  });

  it('fails the build when a program reaches a devDependency', () => {
    const root = tree();
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ dependencies: { '@nestjs/core': '1', pino: '1', bcryptjs: '1' }, devDependencies: { '@scope/pkg': '1' } }),
    );
    IMAGE_ENTRIES['test-image'] = ['dist/apps/a/src/main.js'];
    try {
      expect(() => imagePackage(root, 'test-image')).toThrow(/test-image loads @scope\/pkg, .*devDependency/);
    } finally {
      delete IMAGE_ENTRIES['test-image'];
    }
  });

  it('adds what a package loads by name: Nest its runtime helpers', () => {
    const root = tree();
    const deps = {
      '@nestjs/core': '1',
      pino: '2',
      '@scope/pkg': '3',
      'reflect-metadata': '5',
      bcryptjs: '9',
    };
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ dependencies: { ...deps, rxjs: '6', 'class-validator': '7', 'class-transformer': '8' } }),
    );
    IMAGE_ENTRIES['test-image'] = ['dist/apps/a/src/main.js'];
    try {
      const manifest = imagePackage(root, 'test-image');
      expect(manifest.dependencies['reflect-metadata']).toBe('5');
      expect(manifest.dependencies['typeorm']).toBeUndefined();
    } finally {
      delete IMAGE_ENTRIES['test-image'];
    }
  });
});
