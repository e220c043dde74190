import { describe, expect, it } from 'vitest';
import { layerTree } from '../../src/layers/file-tree.js';
import { analyzeWaste } from '../../src/layers/waste.js';
import { layer } from './entry-specs.js';

describe('analyzeWaste', () => {
  it('attributes overwritten and deleted bytes to the writer and the hider, each version once', () => {
    const layers = [
      layer('+app/', '+app/big.tar 1000', '+app/config 10', '+cache/', '+cache/x 200', '+cache/y 300'),
      layer('~app/', '~app/config 12', '-cache'), // rm -rf cache: both files wasted
      layer('~app/', '~app/config 15', '-app/big.tar'), // config rewritten again, big.tar removed
    ].map((entries, i) => layerTree(entries, i));
    const report = analyzeWaste(layers);
    expect(report.totalSize).toBe(1510 + 12 + 15);
    expect(report.paths).toEqual([
      { path: 'app/big.tar', wastedBytes: 1000, versions: [{ writtenBy: 0, hiddenBy: 2, size: 1000 }] },
      { path: 'cache/y', wastedBytes: 300, versions: [{ writtenBy: 0, hiddenBy: 1, size: 300 }] },
      { path: 'cache/x', wastedBytes: 200, versions: [{ writtenBy: 0, hiddenBy: 1, size: 200 }] },
      {
        path: 'app/config',
        wastedBytes: 22,
        versions: [
          { writtenBy: 0, hiddenBy: 1, size: 10 },
          { writtenBy: 1, hiddenBy: 2, size: 12 },
        ],
      },
    ]);
    expect(report.wastedBytes).toBe(1522);
    expect(report.efficiency).toBeCloseTo((1537 - 1522) / 1537, 10);
    expect(report.layers).toEqual([
      { layer: 0, size: 1510, wastedWritten: 1510, wastedHidden: 0 },
      { layer: 1, size: 12, wastedWritten: 12, wastedHidden: 510 },
      { layer: 2, size: 15, wastedWritten: 0, wastedHidden: 1012 },
    ]);
  });

  it('counts what an opaque directory hides, and a file replacing a directory', () => {
    const layers = [
      layer('+d/', '+d/a 5', '+d/b 7', '+e/', '+e/f 11'),
      layer('+d/!', '+d/a 5', '+e 1'),
    ].map((entries, i) => layerTree(entries, i));
    const report = analyzeWaste(layers);
    expect(report.paths.map((p) => [p.path, p.wastedBytes])).toEqual([
      ['e/f', 11],
      ['d/b', 7],
      ['d/a', 5],
    ]);
    expect(report.layers[1]).toMatchObject({ wastedHidden: 23 });
  });

  it('finds no waste in an image whose layers only add', () => {
    const report = analyzeWaste([layerTree(layer('+a 1'), 0), layerTree(layer('+b 2'), 1)]);
    expect(report).toMatchObject({ totalSize: 3, wastedBytes: 0, efficiency: 1, paths: [] });
  });
});
