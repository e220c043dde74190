import { describe, expect, it } from 'vitest';
import {
  applyCmd,
  applyEntrypoint,
  applyEnv,
  applyExpose,
  applyHealthcheck,
  applyLabel,
  applyShell,
  applyVolume,
  commitHistory,
  copyCreatedBy,
  expandPortSpec,
  imageCreated,
  resolveWorkdir,
  runCreatedBy,
  scratchConfig,
} from '../../src/engine/image-config.js';
import { formatGoDuration } from '../../src/dockerfile/go-duration.js';

const fresh = () => scratchConfig({ os: 'linux', architecture: 'amd64' });

describe('image config transitions', () => {
  it('ENV replaces in place and records BuildKit history', () => {
    const c = fresh();
    applyEnv(c, [{ key: 'A', value: '1' }, { key: 'PATH', value: '/x' }]);
    expect(c.config!.Env).toEqual(['PATH=/x', 'A=1']);
    // No time on a config-only step: BuildKit's exporter gives one only to layers.
    expect(c.history!.at(-1)).toEqual({
      created_by: 'ENV A=1 PATH=/x',
      comment: 'buildkit.dockerfile.v0',
      empty_layer: true,
    });
  });

  it('CMD shell form goes through SHELL and prints Go %q', () => {
    const c = fresh();
    applyShell(c, ['/bin/bash', '-c']);
    applyCmd(c, ['echo "hi"'], true);
    expect(c.config!.Cmd).toEqual(['/bin/bash', '-c', 'echo "hi"']);
    expect(c.history!.map((h) => h.created_by)).toEqual(['SHELL [/bin/bash -c]', 'CMD ["/bin/bash" "-c" "echo \\"hi\\""]']);
  });

  it('ENTRYPOINT resets an inherited CMD but keeps one set in the stage', () => {
    const c = fresh();
    c.config!.Cmd = ['base'];
    applyEntrypoint(c, ['run'], false, false);
    expect(c.config!.Cmd).toBeNull();
    applyCmd(c, ['x'], false);
    applyEntrypoint(c, ['run2'], false, true);
    expect(c.config!.Cmd).toEqual(['x']);
  });

  it('EXPOSE expands ranges and protocols like BuildKit', () => {
    const c = fresh();
    applyExpose(c, ['80', '53/UDP', '8000-8001']);
    expect(Object.keys(c.config!.ExposedPorts!)).toEqual(['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    expect(c.history!.at(-1)!.created_by).toBe('EXPOSE [80/tcp 53/udp 8000/tcp 8001/tcp]');
    expect(() => expandPortSpec('80/xyz')).toThrow(/invalid proto/);
    expect(() => expandPortSpec('90-80')).toThrow(/invalid containerPort/);
  });

  it('VOLUME and HEALTHCHECK history use Go %v and %+v', () => {
    const c = fresh();
    applyVolume(c, ['/data', '/var/log']);
    applyHealthcheck(c, { test: ['CMD-SHELL', 'true'], interval: 30e9, timeout: 0, startPeriod: 90e9, startInterval: 0, retries: 3 });
    expect(c.history!.map((h) => h.created_by)).toEqual([
      'VOLUME [/data /var/log]',
      'HEALTHCHECK {Test:[CMD-SHELL true] Interval:30s Timeout:0s StartPeriod:1m30s StartInterval:0s Retries:3}',
    ]);
  });

  it("gives a layer step its layer's time and the image the last time in its history", () => {
    const c = fresh();
    const base = new Date('2025-05-06T07:08:09.000Z');
    const layer = new Date('2026-01-02T03:04:05.000Z');
    commitHistory(c, 'FROM-ish base layer', base);
    applyEnv(c, [{ key: 'A', value: '1' }]);
    expect(imageCreated(c)).toBe(base.toISOString());
    commitHistory(c, 'RUN /bin/sh -c make # buildkit', layer);
    applyLabel(c, [{ key: 'x', value: 'y' }]);
    expect(c.history!.map((h) => h.created)).toEqual([base.toISOString(), undefined, layer.toISOString(), undefined]);
    expect(c.history!.map((h) => h.empty_layer)).toEqual([undefined, true, undefined, true]);
    expect(imageCreated(c)).toBe(layer.toISOString());
    expect(imageCreated(fresh())).toBeUndefined();
  });

  it('formats Go durations', () => {
    expect(formatGoDuration(1.5e9)).toBe('1.5s');
    expect(formatGoDuration(3_600e9 + 1e9)).toBe('1h0m1s');
    expect(formatGoDuration(250e6)).toBe('250ms');
  });

  it('RUN and COPY created_by match BuildKit', () => {
    expect(runCreatedBy(['/bin/sh', '-c', 'make'], [{ key: 'V', value: '1' }])).toBe('RUN |1 V=1 /bin/sh -c make # buildkit');
    expect(runCreatedBy(['/bin/sh', '-c', 'make'], [])).toBe('RUN /bin/sh -c make # buildkit');
    expect(
      copyCreatedBy({ isAdd: false, chown: 'app', sources: ['a', 'b'], heredocNames: ['EOF'], dest: '/x/' }),
    ).toBe('COPY --chown=app a b <<EOF /x/ # buildkit');
  });

  it('resolves WORKDIR like path.Clean', () => {
    expect(resolveWorkdir('/app', 'sub/../x')).toBe('/app/x');
    expect(resolveWorkdir(undefined, 'rel')).toBe('/rel');
    expect(resolveWorkdir('/a', '/b/./c/')).toBe('/b/c');
  });
});
