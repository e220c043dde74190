/**
 * How each instruction changes the image config and its history, with
 * BuildKit's exact wording (dockerfile2llb commitToHistory): the history is
 * what `docker history` and `layerlab history` show, so it must read the same
 * for an image built either way.
 */
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../image/oci-types.js';
import { formatGoDuration } from '../dockerfile/go-duration.js';
import { goQuoteList as formatGoStringSlice } from '../dockerfile/go-quote.js';

/** fmt %v of []string: [a b]. */
function formatGoValueSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

export const historyComment = 'buildkit.dockerfile.v0';

export function cloneConfig(config: ImageConfig): ImageConfig {
  return structuredClone(config);
}

/** The config FROM scratch starts with. */
export function scratchConfig(platform: { os: string; architecture: string; variant?: string }): ImageConfig {
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    config: { Env: [defaultPathEnv], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
  if (platform.variant) config.variant = platform.variant;
  return config;
}

/** BuildKit adds this PATH when the base image has none (llb default). */
export const defaultPathEnv = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A base image's config as the first state of a stage: BuildKit drops the
 * base's ONBUILD triggers once they have run, and makes sure PATH is set.
 */
export function stageConfigFromBase(base: ImageConfig): ImageConfig {
  const config = cloneConfig(base);
  config.config ??= {};
  const env = config.config.Env ?? [];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(defaultPathEnv);
  config.config.Env = env;
  config.config.OnBuild = null;
  config.history ??= [];
  return config;
}

/**
 * Appends a history entry as BuildKit's exporter leaves it: a step that made a
 * layer carries the time that layer was made (for a cached step, the first
 * build's), and a config-only step carries no time at all. So a fully cached
 * rebuild gives the same config, and the same image id.
 */
export function commitHistory(config: ImageConfig, createdBy: string, layerCreated?: Date): void {
  const entry: HistoryEntry = { created_by: createdBy, comment: historyComment };
  if (layerCreated) entry.created = layerCreated.toISOString();
  else entry.empty_layer = true;
  (config.history ??= []).push(entry);
}

/** The image's `created`, as BuildKit's exporter sets it: the last history entry that has a time. */
export function imageCreated(config: ImageConfig): string | undefined {
  const history = config.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.created !== undefined) return history[i]!.created;
  return undefined;
}

function containerConfig(config: ImageConfig): ContainerConfig {
  return (config.config ??= {});
}

/** ENV: replace a key in place or append it, as BuildKit's addEnv. */
export function setEnv(env: string[], key: string, value: string): string[] {
  const i = env.findIndex((e) => e.split('=', 1)[0] === key);
  const next = [...env];
  if (i >= 0) next[i] = `${key}=${value}`;
  else next.push(`${key}=${value}`);
  return next;
}

export function getEnv(config: ImageConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of config.config?.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) out.set(e, '');
    else out.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return out;
}

/**
 * Each function below applies one config-only instruction and returns the
 * lines that describe what changed, for the TUI's config-only step view.
 */
export function applyEnv(config: ImageConfig, pairs: Array<{ key: string; value: string }>): string[] {
  const c = containerConfig(config);
  let env = c.Env ?? [];
  const changes: string[] = [];
  for (const { key, value } of pairs) {
    const before = env.find((e) => e.split('=', 1)[0] === key);
    env = setEnv(env, key, value);
    changes.push(before === undefined ? `Env +${key}=${value}` : `Env ${before} → ${key}=${value}`);
  }
  c.Env = env;
  commitHistory(config, `ENV ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
  return changes;
}

export function applyLabel(config: ImageConfig, pairs: Array<{ key: string; value: string }>): string[] {
  const c = containerConfig(config);
  const labels = (c.Labels ??= {});
  const changes: string[] = [];
  for (const { key, value } of pairs) {
    changes.push(key in labels ? `Labels ${key}: ${labels[key]} → ${value}` : `Labels +${key}=${value}`);
    labels[key] = value;
  }
  commitHistory(config, `LABEL ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
  return changes;
}

export function applyMaintainer(config: ImageConfig, maintainer: string): string[] {
  config.author = maintainer;
  commitHistory(config, `MAINTAINER ${maintainer}`);
  return [`Author → ${maintainer}`];
}

/** `shellForm` args are prefixed with the stage's SHELL, like BuildKit's withShell. */
export function withShell(config: ImageConfig, args: string[]): string[] {
  const shell = config.config?.Shell?.length ? [...config.config.Shell] : ['/bin/sh', '-c'];
  return [...shell, args.join(' ')];
}

export function applyCmd(config: ImageConfig, args: string[], shellForm: boolean): string[] {
  const c = containerConfig(config);
  const cmd = shellForm ? withShell(config, args) : args;
  c.Cmd = cmd;
  c.ArgsEscaped = true;
  commitHistory(config, `CMD ${formatGoStringSlice(cmd)}`);
  return [`Cmd → ${JSON.stringify(cmd)}`];
}

/**
 * ENTRYPOINT resets CMD unless this stage set CMD itself, as BuildKit does:
 * a base image's CMD rarely makes sense as arguments to a new entrypoint.
 */
export function applyEntrypoint(
  config: ImageConfig,
  args: string[],
  shellForm: boolean,
  cmdSetInStage: boolean,
): string[] {
  const c = containerConfig(config);
  const entrypoint = shellForm ? withShell(config, args) : args;
  c.Entrypoint = entrypoint;
  const changes = [`Entrypoint → ${JSON.stringify(entrypoint)}`];
  if (!cmdSetInStage && c.Cmd) {
    c.Cmd = null;
    changes.push('Cmd → (reset by ENTRYPOINT)');
  }
  commitHistory(config, `ENTRYPOINT ${formatGoStringSlice(entrypoint)}`);
  return changes;
}

export interface HealthcheckSpec {
  test: string[];
  /** Nanoseconds, as in the Docker config. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export function applyHealthcheck(config: ImageConfig, hc: HealthcheckSpec): string[] {
  const c = containerConfig(config);
  c.Healthcheck = {
    Test: hc.test,
    Interval: hc.interval,
    Timeout: hc.timeout,
    StartPeriod: hc.startPeriod,
    StartInterval: hc.startInterval,
    Retries: hc.retries,
  };
  // Go's %+v of the struct: zero durations still print ("0s"), as BuildKit's history shows.
  const shown =
    `{Test:${formatGoValueSlice(hc.test)} Interval:${formatGoDuration(hc.interval)} ` +
    `Timeout:${formatGoDuration(hc.timeout)} StartPeriod:${formatGoDuration(hc.startPeriod)} ` +
    `StartInterval:${formatGoDuration(hc.startInterval)} Retries:${hc.retries}}`;
  commitHistory(config, `HEALTHCHECK ${shown}`);
  return [`Healthcheck → ${hc.test.join(' ')}`];
}

export function applyUser(config: ImageConfig, user: string): string[] {
  const c = containerConfig(config);
  const before = c.User ?? '';
  c.User = user;
  commitHistory(config, `USER ${user}`);
  return [`User ${before || '(root)'} → ${user}`];
}

export function applyVolume(config: ImageConfig, volumes: string[]): string[] {
  const c = containerConfig(config);
  const all = (c.Volumes ??= {});
  for (const v of volumes) all[v] = {};
  commitHistory(config, `VOLUME ${formatGoValueSlice(volumes)}`);
  return volumes.map((v) => `Volumes +${v}`);
}

export function applyStopSignal(config: ImageConfig, signal: string): string[] {
  const c = containerConfig(config);
  c.StopSignal = signal;
  commitHistory(config, `STOPSIGNAL ${signal}`);
  return [`StopSignal → ${signal}`];
}

export function applyShell(config: ImageConfig, shell: string[]): string[] {
  const c = containerConfig(config);
  c.Shell = shell;
  commitHistory(config, `SHELL ${formatGoValueSlice(shell)}`);
  return [`Shell → ${JSON.stringify(shell)}`];
}

export function applyOnbuild(config: ImageConfig, expression: string): string[] {
  const c = containerConfig(config);
  c.OnBuild = [...(c.OnBuild ?? []), expression];
  return [`OnBuild +${expression}`];
}

/**
 * EXPOSE: "80", "80/udp", "8000-8002", "[ip:]host:container/proto" expand to one
 * "port/proto" per port, as BuildKit's parsePortSpecs; history is `EXPOSE %v`
 * of that list.
 */
export function applyExpose(config: ImageConfig, ports: string[]): string[] {
  const c = containerConfig(config);
  const exposed = (c.ExposedPorts ??= {});
  const expanded = ports.flatMap(expandPortSpec);
  const changes: string[] = [];
  for (const p of expanded) {
    if (!(p in exposed)) changes.push(`ExposedPorts +${p}`);
    exposed[p] = {};
  }
  commitHistory(config, `EXPOSE ${formatGoValueSlice(expanded)}`);
  return changes;
}

export class PortSpecError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
}

export function expandPortSpec(raw: string): string[] {
  const parts = raw.split(':');
  const containerPart = parts[parts.length - 1]!;
  const hostPart = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const slash = containerPart.indexOf('/');
  const portText = slash >= 0 ? containerPart.slice(0, slash) : containerPart;
  const proto = (slash >= 0 ? containerPart.slice(slash + 1) : '').toLowerCase() || 'tcp';
  if (portText === '') throw new PortSpecError(`no port specified: ${raw}<empty>`);
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new PortSpecError(`invalid proto: ${proto}`);
  const [start, end] = parsePortRange(portText, `invalid containerPort: ${portText}`);
  if (hostPart !== '') {
    const [hs, he] = parsePortRange(hostPart, `invalid hostPort: ${hostPart}`);
    if (end - start !== he - hs && end !== start) {
      throw new PortSpecError(`invalid ranges specified for container and host Ports: ${portText} and ${hostPart}`);
    }
  }
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

function parsePortRange(text: string, message: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new PortSpecError(message);
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  if (start > 65535 || end > 65535 || end < start) throw new PortSpecError(message);
  return [start, end];
}

/** WORKDIR resolves against the current one; paths are cleaned like Go's path.Clean. */
export function resolveWorkdir(current: string | undefined, next: string): string {
  const base = current && current.length > 0 ? current : '/';
  const joined = next.startsWith('/') ? next : `${base}/${next}`;
  return cleanPath(joined);
}

export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/**
 * RUN's history line: BuildKit prefixes the build args in scope as
 * `|N K=V ...` so that a change of build arg shows in the history.
 */
export function runCreatedBy(args: string[], buildArgs: Array<{ key: string; value: string }>): string {
  const seen = new Map<string, string>();
  for (const { key, value } of buildArgs) seen.set(key, value);
  const prefix = seen.size > 0 ? [`|${seen.size}`, ...[...seen].map(([k, v]) => `${k}=${v}`)] : [];
  return `RUN ${[...prefix, ...args].join(' ')} # buildkit`;
}

export interface CopyHistoryInput {
  isAdd: boolean;
  parents?: boolean;
  chown?: string;
  chmod?: string;
  sources: string[];
  heredocNames: string[];
  dest: string;
}

export function copyCreatedBy(input: CopyHistoryInput): string {
  const parts = [input.isAdd ? 'ADD' : 'COPY'];
  if (input.parents) parts.push('--parents');
  if (input.chown) parts.push(`--chown=${input.chown}`);
  if (input.chmod) parts.push(`--chmod=${input.chmod}`);
  parts.push(...input.sources, ...input.heredocNames.map((n) => `<<${n}`), input.dest);
  return `${parts.join(' ')} # buildkit`;
}
