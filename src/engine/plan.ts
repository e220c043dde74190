/**
 * From Dockerfile text to the list of steps a session runs: one step per
 * instruction of every stage (FROM included), in Dockerfile order. Stages the
 * target does not need are planned as skipped, so the workbench still shows
 * them where the user wrote them.
 */
import { parseDockerfile, parseStages, type DockerfileStages, type Stage } from '../dockerfile/index.js';
import type { FromInstruction, Instruction } from '../dockerfile/instructions.js';
import type { Platform } from '../dockerfile/platform.js';
import { DockerfileError } from '../dockerfile/errors.js';
import type { StepInfo } from './session-types.js';

export interface PlanOptions {
  /** Shown in errors ("Dockerfile:12: ..."). */
  file: string;
  buildArgs: Record<string, string>;
  target?: string;
  platform: Platform;
}

export interface PlannedStep extends StepInfo {
  stage: Stage;
  instruction: Instruction | FromInstruction;
  /** False for steps of stages the target does not need. */
  needed: boolean;
  /**
   * What must stay equal for a re-plan to keep this step's result: the
   * instruction text, its stage and everything that changes what it sees.
   */
  fingerprint: string;
}

export interface BuildPlan {
  stages: DockerfileStages;
  steps: PlannedStep[];
}

export function planBuild(text: string, options: PlanOptions): BuildPlan {
  let stages: DockerfileStages;
  try {
    const ast = parseDockerfile(text);
    stages = parseStages(ast, {
      buildArgs: options.buildArgs,
      target: options.target,
      buildPlatform: options.platform,
    });
  } catch (err) {
    if (err instanceof DockerfileError) throw err.withFile(options.file);
    const located = err as { isUserError?: boolean; message?: string };
    if (located?.isUserError) throw new DockerfileError(located.message ?? String(err), undefined, options.file);
    throw err;
  }
  const needed = new Set(stages.buildOrder.map((s) => s.index));
  const globalPart = JSON.stringify([...stages.globalArgs].sort());
  const steps: PlannedStep[] = [];
  for (const stage of stages.stages) {
    const all: Array<Instruction | FromInstruction> = [stage.from, ...stage.instructions];
    for (const instruction of all) {
      const index = steps.length;
      const keyword = instruction.kind.toUpperCase();
      const fingerprint = JSON.stringify([
        stage.index,
        stage.name ?? '',
        instruction.kind === 'from' ? stage.baseName : '',
        instruction.original,
        instruction.kind === 'from' ? globalPart : '',
      ]);
      steps.push({
        index,
        stageIndex: stage.index,
        stageName: stage.name,
        keyword,
        text: instruction.original,
        startLine: instruction.startLine,
        endLine: instruction.endLine,
        stage,
        instruction,
        needed: needed.has(stage.index),
        fingerprint,
      });
    }
  }
  return { stages, steps };
}

/**
 * The first step whose result a re-plan cannot keep: the first whose
 * fingerprint differs, or the first step past the end of the shorter plan.
 * The fingerprint of a step includes everything above it only through the
 * steps themselves, so comparing in order is enough.
 */
export function firstChangedStep(before: readonly PlannedStep[], after: readonly PlannedStep[]): number {
  const n = Math.min(before.length, after.length);
  for (let i = 0; i < n; i++) {
    if (before[i]!.fingerprint !== after[i]!.fingerprint || before[i]!.needed !== after[i]!.needed) return i;
  }
  return n;
}
