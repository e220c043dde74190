import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** Run the layerlab CLI in this process (the real main(): parsing, command, error rendering), capturing output. */
export async function layerlab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, stdout: out, stderr: err };
}
