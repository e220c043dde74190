/**
 * Tests that need the sandbox in ANOTHER node process (a parent killed with
 * -9, a run as a throwaway user) compile src/sandbox with tsc into a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir } from './busybox-rootfs.js';

export function compileSandbox(): string {
  const out = makeTempDir('compiled');
  chmodSync(out, 0o755);
  const repo = resolve(import.meta.dirname, '../..');
  execFileSync(
    join(repo, 'node_modules/.bin/tsc'),
    [
      '--outDir', out, '--rootDir', join(repo, 'src/sandbox'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node', join(repo, 'src/sandbox/index.ts'),
    ],
    { cwd: repo, stdio: 'inherit' },
  );
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  execFileSync('chmod', ['-R', 'a+rX', out]);
  return join(out, 'index.js');
}
