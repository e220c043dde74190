import { describe, expect, it } from 'vitest';
import {
  applyCmd,
  applyEntrypoint,
  applyEnv,
  applyExpose,
  applyHealthcheck,
  applyShell,
  applyVolume,
  copyCreatedBy,
  expandPortSpec,
  resolveWorkdir,
  runCreatedBy,
  scratchConfig,
} from '../../src/engine/image-config.js';
import { formatGoDuration } from '../../src/dockerfile/go-duration.js';

const at = new Date('2026-01-02T03:04:05Z');
const fresh = () => scratchConfig({ os: 'linux', architecture: 'amd64' });

describe('image config transitions', () => {
  it('ENV replaces in place and records BuildKit history', () => {
    const c = fresh();
    applyEnv(c, [{ key: 'A', value: '1' }, { key: 'PATH', value: '/x' }], at);
    expect(c.config!.Env).toEqual(['PATH=/x', 'A=1']);
    expect(c.history!.at(-1)).toEqual({
      created: at.toISOString(),
      created_by: 'ENV A=1 PATH=/x',
      comment: 'buildkit.dockerfile.v0',
      empty_layer: true,
    });
  });

  it('CMD shell form goes through SHELL and prints Go %q', () => {
    const c = fresh();
    applyShell(c, ['/bin/bash', '-c'], at);
    applyCmd(c, ['echo "hi"'], true, at);
    expect(c.config!.Cmd).toEqual(['/bin/bash', '-c', 'echo "hi"']);
    expect(c.history!.map((h) => h.created_by)).toEqual(['SHELL [/bin/bash -c]', 'CMD ["/bin/bash" "-c" "echo \\"hi\\""]']);
  });

  it('ENTRYPOINT resets an inherited CMD but keeps one set in the stage', () => {
    const c = fresh();
    c.config!.Cmd = ['base'];
    applyEntrypoint(c, ['run'], false, false, at);
    expect(c.config!.Cmd).toBeNull();
    applyCmd(c, ['x'], false, at);
    applyEntrypoint(c, ['run2'], false, true, at);
    expect(c.config!.Cmd).toEqual(['x']);
  });

  it('EXPOSE expands ranges and protocols like BuildKit', () => {
    const c = fresh();
    applyExpose(c, ['80', '53/UDP', '8000-8001'], at);
    expect(Object.keys(c.config!.ExposedPorts!)).toEqual(['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    expect(c.history!.at(-1)!.created_by).toBe('EXPOSE [80/tcp 53/udp 8000/tcp 8001/tcp]');
    expect(() => expandPortSpec('80/xyz')).toThrow(/invalid proto/);
    expect(() => expandPortSpec('90-80')).toThrow(/invalid containerPort/);
  });

  it('VOLUME and HEALTHCHECK history use Go %v and %+v', () => {
    const c = fresh();
    applyVolume(c, ['/data', '/var/log'], at);
    applyHealthcheck(c, { test: ['CMD-SHELL', 'true'], interval: 30e9, timeout: 0, startPeriod: 90e9, startInterval: 0, retries: 3 }, at);
    expect(c.history!.map((h) => h.created_by)).toEqual([
      'VOLUME [/data /var/log]',
      'HEALTHCHECK {Test:[CMD-SHELL true] Interval:30s Timeout:0s StartPeriod:1m30s StartInterval:0s Retries:3}',
    ]);
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
