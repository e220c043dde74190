/**
 * The instructions that only change the image config (BuildKit's dispatchEnv,
 * dispatchLabel, dispatchCmd...). They take an instruction whose variables are
 * already expanded and return what changed, in words, for the TUI.
 */
import type { Instruction } from '../dockerfile/instructions.js';
import type { ImageConfig } from '../image/oci-types.js';
import {
  applyCmd,
  applyEntrypoint,
  applyEnv,
  applyExpose,
  applyHealthcheck,
  applyLabel,
  applyMaintainer,
  applyOnbuild,
  applyShell,
  applyStopSignal,
  applyUser,
  applyVolume,
  commitHistory,
} from './image-config.js';

/** Per-stage facts some config instructions depend on. */
export interface StageFlags {
  /** CMD was set by an instruction of this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

export type ConfigInstruction = Extract<
  Instruction,
  {
    kind:
      | 'env'
      | 'label'
      | 'cmd'
      | 'entrypoint'
      | 'expose'
      | 'user'
      | 'volume'
      | 'stopsignal'
      | 'healthcheck'
      | 'shell'
      | 'onbuild'
      | 'maintainer'
      | 'arg';
  }
>;

export function isConfigInstruction(i: Instruction): i is ConfigInstruction {
  return [
    'env',
    'label',
    'cmd',
    'entrypoint',
    'expose',
    'user',
    'volume',
    'stopsignal',
    'healthcheck',
    'shell',
    'onbuild',
    'maintainer',
    'arg',
  ].includes(i.kind);
}

/**
 * Applies one config-only instruction. `argValues` gives, for ARG, the value
 * each declared name ended up with (build-arg override, default or unset), as
 * BuildKit records it in the history line.
 */
export function dispatchConfig(
  config: ImageConfig,
  instr: ConfigInstruction,
  flags: StageFlags,
  argValues: Map<string, string | undefined> = new Map(),
): string[] {
  switch (instr.kind) {
    case 'env':
      return applyEnv(config, instr.pairs);
    case 'label':
      return applyLabel(config, instr.pairs);
    case 'cmd':
      flags.cmdSet = true;
      return applyCmd(config, instr.args, instr.form === 'shell');
    case 'entrypoint':
      return applyEntrypoint(config, instr.args, instr.form === 'shell', flags.cmdSet);
    case 'expose':
      return applyExpose(config, instr.ports);
    case 'user':
      return applyUser(config, instr.user);
    case 'volume':
      return applyVolume(config, instr.volumes);
    case 'stopsignal':
      return applyStopSignal(config, instr.signal);
    case 'healthcheck':
      return applyHealthcheck(
        config,
        {
          test: instr.test,
          interval: instr.intervalNs,
          timeout: instr.timeoutNs,
          startPeriod: instr.startPeriodNs,
          startInterval: instr.startIntervalNs,
          retries: instr.retries,
        },
      );
    case 'shell':
      return applyShell(config, instr.shell);
    case 'onbuild':
      return applyOnbuild(config, instr.expression);
    case 'maintainer':
      return applyMaintainer(config, instr.maintainer);
    case 'arg': {
      const shown = instr.args.map((a) => {
        const v = argValues.get(a.key);
        return v === undefined ? a.key : `${a.key}=${v}`;
      });
      commitHistory(config, `ARG ${shown.join(' ')}`);
      return instr.args.map((a) => `build arg ${a.key}${argValues.get(a.key) !== undefined ? `=${argValues.get(a.key)}` : ' (unset)'}`);
    }
  }
}
