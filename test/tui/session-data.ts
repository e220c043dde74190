/**
 * Hand-built session data for the pure-logic and component tests: plain
 * StepState objects and change lists, served through the SessionApi shape.
 * The engine itself is exercised by the pty tests.
 */
import type { BuildEvent, SessionApi, StackLayer, StepState } from '../../src/engine/session-types.js';
import type { ChangeEntry } from '../../src/layers/types.js';

export function entry(path: string, kind: ChangeEntry['kind'], extra: Partial<ChangeEntry> = {}): ChangeEntry {
  return { path, kind, type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, ...extra };
}

export function step(index: number, keyword: string, text: string, extra: Partial<StepState> = {}): StepState {
  return { index, stageIndex: 0, stageName: undefined, keyword, text: `${keyword} ${text}`, startLine: index + 1, endLine: index + 1, status: 'pending', ...extra };
}

export interface DataSessionOptions {
  steps: StepState[];
  /** The stack after each step: diff_ids of layers, with the step that made each (undefined: base). */
  stacks: Record<number, StackLayer[]>;
  layers: Record<string, ChangeEntry[]>;
  /** Files after (and, with `before:`, before) each step: `${step}:${path}` or `before:${step}:${path}`. */
  files?: Record<string, string>;
  logs?: Record<number, string[]>;
}

/** A SessionApi over fixed data: nothing runs; run calls resolve at once. */
export function dataSession(options: DataSessionOptions): SessionApi & { emit(event: BuildEvent | { type: 'state' }): void } {
  const listeners = new Set<(event: BuildEvent | { type: 'state' }) => void>();
  const breakpoints = new Set<number>();
  return {
    dockerfilePath: '/nonexistent/Dockerfile',
    contextDir: '/nonexistent',
    steps: options.steps,
    breakpoints,
    busy: false,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const listener of listeners) listener(event);
    },
    next: async () => undefined,
    runTo: async () => undefined,
    continue: async () => undefined,
    toggleBreakpoint(index) {
      if (!breakpoints.delete(index)) breakpoints.add(index);
    },
    rerunFrom: async () => undefined,
    replan: async () => undefined,
    cancel: () => undefined,
    changes: async (index) => options.layers[`partial:${index}`],
    layersAt: (index) => options.stacks[index] ?? [],
    layerChanges: async (diffId) => options.layers[diffId] ?? [],
    readFile(index, path, before) {
      const text = options.files?.[`${before ? 'before:' : ''}${index}:${path}`];
      return text === undefined ? undefined : Buffer.from(text);
    },
    log: (index) => options.logs?.[index] ?? [],
    finish: async () => ({ imageId: 'sha256:0', manifestDigest: 'sha256:0', tags: [] }),
    close: async () => undefined,
  };
}

/** A small build: a base layer, a RUN that adds and modifies, a RUN that deletes, an ENV, a failed RUN. */
export function exampleSession() {
  const base: StackLayer = { stepIndex: undefined, diffId: 'sha256:base', createdBy: 'import rootfs', size: 1000 };
  const run1: StackLayer = { stepIndex: 1, diffId: 'sha256:run1', createdBy: 'RUN make', size: 300 };
  const run2: StackLayer = { stepIndex: 2, diffId: 'sha256:run2', createdBy: 'RUN rm', size: 10 };
  const counts = { added: 1, modified: 1, deleted: 0 };
  const layer = (diffId: string, size: number) => ({ digest: diffId, diffId, size, uncompressedSize: size });
  return dataSession({
    steps: [
      step(0, 'FROM', 'busybox', { status: 'done', layer: undefined }),
      step(1, 'RUN', 'make', { status: 'done', counts, layer: layer('sha256:run1', 2048), endLine: 3 }),
      step(2, 'RUN', 'rm /etc/motd /big', { status: 'done', counts: { added: 0, modified: 0, deleted: 2 }, layer: layer('sha256:run2', 10) }),
      step(3, 'ENV', 'A=1', { status: 'config-only', configChanges: ['Env: +A=1'] }),
      step(4, 'RUN', 'false', {
        status: 'failed',
        failure: { message: 'exited with code 1', exitCode: 1, command: 'false', tail: ['boom'] },
      }),
    ],
    stacks: { 0: [base], 1: [base, run1], 2: [base, run1, run2], 3: [base, run1, run2], 4: [base, run1, run2] },
    layers: {
      'sha256:base': [
        entry('etc', 'added', { type: 'dir', mode: 0o755 }),
        entry('etc/motd', 'added', { size: 6 }),
        entry('etc/hosts', 'added', { size: 10 }),
        entry('bin', 'added', { type: 'dir', mode: 0o755 }),
        entry('bin/sh', 'added', { type: 'symlink', linkTarget: 'busybox' }),
      ],
      'sha256:run1': [
        entry('etc', 'modified', { type: 'dir', mode: 0o755 }),
        entry('etc/motd', 'modified', { size: 12 }),
        entry('etc/hosts', 'modified', { size: 10, mode: 0o600, metadataOnly: ['mode'] }),
        entry('big', 'added', { size: 5000 }),
      ],
      'sha256:run2': [entry('etc/motd', 'deleted', { mtime: 5 }), entry('big', 'deleted')],
      'partial:4': [entry('half.txt', 'added', { size: 3 })],
    },
    files: {
      '1:etc/motd': 'hello\nworld\n',
      'before:1:etc/motd': 'hello\n',
      '1:big': 'x'.repeat(10) + '\0',
      '4:half.txt': 'abc',
    },
    logs: { 1: ['compiling', 'done'] },
  });
}
