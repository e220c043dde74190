/**
 * `layerlab parse` run for real: the built bin/layerlab.js as a child process,
 * on every BuildKit testfiles Dockerfile, compared with its result byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/layerlab.js');
const testfiles = join(root, 'test/fixtures/conformance/buildkit/frontend/dockerfile/parser/testfiles');
const cases = readdirSync(testfiles).sort();

function layerlab(args: string[], input?: string | Buffer) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, input });
  return { status: result.status, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
}

let scratch: string;

beforeAll(() => {
  // Others may have transient type errors; tsc still emits, so only the output matters.
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
  expect(existsSync(join(root, 'dist/cli/commands/parse.js'))).toBe(true);
  scratch = mkdtempSync(join(tmpdir(), 'layerlab-parse-'));
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('layerlab parse --format buildkit on BuildKit testfiles', () => {
  it('covers all 33 cases', () => {
    expect(cases).toHaveLength(33);
  });
  it.each(cases)('%s', (name) => {
    const run = layerlab(['parse', '--format', 'buildkit', join(testfiles, name, 'Dockerfile')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(testfiles, name, 'result'), 'utf8'));
  });
});

describe('layerlab parse errors and input', () => {
  it('exits 2 with FILE:LINE: message and no stack trace when the file does not parse', () => {
    const file = join(scratch, 'Dockerfile.bad');
    writeFileSync(file, 'FROM busybox\n\nENV PATH\n');
    const run = layerlab(['parse', file]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${file}:3: ENV must have two arguments\n`);
  });

  it('names the first line of a multi-line instruction', () => {
    const file = join(scratch, 'Dockerfile.heredoc');
    writeFileSync(file, 'FROM busybox\nRUN <<EOF \\\n  --flag\necho never closed\n');
    const run = layerlab(['parse', file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`${file}:2: unterminated heredoc\n`);
  });

  it('exits 2 for a missing file', () => {
    const run = layerlab(['parse', join(scratch, 'missing')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/missing: cannot read the Dockerfile: no such file\n$/);
  });

  it('exits 2 for an unknown format', () => {
    const run = layerlab(['parse', '--format', 'yaml', '-'], 'FROM a\n');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--format must be buildkit or json');
  });

  it('reads stdin for -', () => {
    const run = layerlab(['parse', '-'], 'FROM alpine\nCMD ["sh"]\n');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('(from "alpine")\n(cmd "sh")\n');
  });

  it('defaults to ./Dockerfile', () => {
    writeFileSync(join(scratch, 'Dockerfile'), 'FROM scratch\n');
    const result = spawnSync(process.execPath, [bin, 'parse'], { cwd: scratch, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('(from "scratch")\n');
  });

  it('prints typed instructions with line ranges for --format json', () => {
    const run = layerlab(['parse', '--format', 'json', '-'], 'FROM alpine AS base\nRUN echo \\\n  hi\nCOPY <<EOF /x\nbody\nEOF\n');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { instructions: { kind: string; startLine: number; endLine: number }[] };
    expect(report.instructions.map((i) => [i.kind, i.startLine, i.endLine])).toEqual([
      ['from', 1, 1],
      ['run', 2, 3],
      ['copy', 4, 6],
    ]);
  });

  it('reports typed-instruction errors with the file and line, exit 2', () => {
    const run = layerlab(['parse', '--format', 'json', '-'], 'FROM alpine\nCOPY --nope=1 a b\n');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^<stdin>:2: .+\n$/);
    expect(run.stderr).not.toContain('    at ');
  });
});
