import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectWhenIdle } from '../../src/tui/idle-collection.js';

/** Major collections seen while `during` runs. */
async function majorCollections(during: () => Promise<void>): Promise<number> {
  let majors = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if ((entry as unknown as { detail: { kind: number } }).detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await during();
    // Observer callbacks are delivered asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    observer.disconnect();
  }
  return majors;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('collectWhenIdle', () => {
  it('runs a full collection once the requests stop', async () => {
    const majors = await majorCollections(async () => {
      collectWhenIdle();
      await sleep(100);
      collectWhenIdle();
      await sleep(700);
    });
    expect(majors).toBeGreaterThanOrEqual(1);
  });
});
