import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { hostArchitecture, type ContainerConfig, type ImageConfig } from './oci-types.js';
import { ingestLayer } from './layer-ingest.js';
import { writeImage, type Image } from './image.js';
import type { Store } from './store.js';

/**
 * `layerlab import ROOTFS.tar REF`: a one-layer image from a filesystem
 * tarball (plain or gzip), like `docker import`. The layer is stored gzip;
 * the config says linux and the host architecture, and its single history
 * entry says where it came from. `changes` are Dockerfile-style lines
 * (`CMD ["sh"]`, `ENV A=b`, …) applied to the config, like `docker import --change`.
 */
export interface ImportOptions {
  changes?: string[];
  /** What the history comment names as the source; default the file's name. */
  sourceName?: string;
  created?: Date;
}

export class InvalidChangeError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly change: string, problem: string) {
    super(`--change "${change}": ${problem}`);
    this.name = 'InvalidChangeError';
  }
}

export async function importRootfs(store: Store, tarPath: string, ref: string, options: ImportOptions = {}): Promise<Image> {
  const containerConfig: ContainerConfig = {};
  for (const change of options.changes ?? []) applyChange(containerConfig, change);
  const layer = await ingestLayer(store, createReadStream(tarPath), { compression: 'gzip', what: tarPath });
  const created = (options.created ?? new Date()).toISOString();
  const { architecture, variant } = hostArchitecture();
  const config: Omit<ImageConfig, 'rootfs'> = {
    created,
    architecture,
    ...(variant ? { variant } : {}),
    os: 'linux',
    config: containerConfig,
    history: [{ created, created_by: '', comment: `Imported from ${options.sourceName ?? basename(tarPath)}` }],
  };
  return writeImage(store, config, [{ descriptor: layer.descriptor, diffId: layer.diffId }], ref);
}

/** The subset of Dockerfile instructions `docker import --change` accepts. */
export function applyChange(config: ContainerConfig, change: string): void {
  const match = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(change);
  if (!match) throw new InvalidChangeError(change, 'expected an instruction and its arguments');
  const instruction = match[1]!.toUpperCase();
  const rest = match[2]!.trim();
  switch (instruction) {
    case 'CMD':
      config.Cmd = commandForm(change, rest);
      return;
    case 'ENTRYPOINT':
      config.Entrypoint = commandForm(change, rest);
      return;
    case 'ENV': {
      const env = config.Env ?? [];
      for (const [key, value] of keyValues(change, rest)) {
        const index = env.findIndex((e) => e.startsWith(`${key}=`));
        if (index >= 0) env[index] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      config.Env = env;
      return;
    }
    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(keyValues(change, rest)) };
      return;
    case 'WORKDIR':
      config.WorkingDir = rest;
      return;
    case 'USER':
      config.User = rest;
      return;
    case 'EXPOSE':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      for (const port of rest.split(/\s+/)) config.ExposedPorts[port.includes('/') ? port : `${port}/tcp`] = {};
      return;
    case 'STOPSIGNAL':
      config.StopSignal = rest;
      return;
    case 'VOLUME':
      config.Volumes = { ...(config.Volumes ?? {}) };
      for (const volume of rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/)) config.Volumes[volume] = {};
      return;
    default:
      throw new InvalidChangeError(change, `${instruction} cannot be changed on import (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME can)`);
  }
}

function commandForm(change: string, rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const parsed = JSON.parse(rest) as unknown;
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed;
    } catch {
      // A "[" that is not JSON is shell form, as in a Dockerfile.
    }
  }
  return ['/bin/sh', '-c', rest];
}

function keyValues(change: string, rest: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const pattern = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of rest.matchAll(pattern)) {
    const raw = m[2]!;
    pairs.push([m[1]!, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
  }
  if (pairs.length === 0) {
    const space = /^(\S+)\s+(.*)$/.exec(rest);
    if (!space) throw new InvalidChangeError(change, 'expected KEY=VALUE');
    pairs.push([space[1]!, space[2]!]);
  }
  return pairs;
}
