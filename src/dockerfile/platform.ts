/**
 * Platforms as OCI and BuildKit write them ("linux/arm64", "linux/arm/v7")
 * and the automatic platform ARGs BuildKit defines in the global scope
 * (dockerfile2llb defaultArgs). Pure: the host platform is an input.
 */

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export class PlatformError extends Error {
  override name = 'PlatformError';
}

/** os/arch[/variant], as containerd's platforms.Format. */
export function formatPlatform(platform: Platform): string {
  const parts = [platform.os, platform.architecture];
  if (platform.variant) parts.push(platform.variant);
  return parts.join('/');
}

const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js', 'linux', 'netbsd',
  'openbsd', 'plan9', 'solaris', 'wasip1', 'windows',
]);

const KNOWN_ARCH = new Set([
  '386', 'amd64', 'arm', 'arm64', 'loong64', 'mips', 'mips64', 'mips64le', 'mipsle', 'ppc64', 'ppc64le',
  'riscv64', 's390x', 'wasm',
]);

/** containerd's normalizeArch: aliases and the default variants. */
export function normalizePlatform(platform: Platform): Platform {
  let os = platform.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  let architecture = platform.architecture.toLowerCase();
  let variant = platform.variant?.toLowerCase() ?? '';
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/**
 * Parses a platform specifier the way containerd's platforms.Parse does for
 * the forms Dockerfiles use: "linux/amd64", "linux/arm/v7", "linux" (host
 * architecture), "arm64" (Linux).
 */
export function parsePlatform(spec: string, host: Platform): Platform {
  const parts = spec.split('/');
  if (parts.some((part) => !/^[A-Za-z0-9_.-]+$/.test(part))) {
    throw new PlatformError(`"${spec}": invalid platform component`);
  }
  if (parts.length === 1) {
    const only = parts[0]!.toLowerCase();
    if (KNOWN_OS.has(only) || only === 'macos') {
      const os = only === 'macos' ? 'darwin' : only;
      return os === host.os ? normalizePlatform(host) : normalizePlatform({ os, architecture: host.architecture });
    }
    const arch = normalizePlatform({ os: 'linux', architecture: only });
    if (KNOWN_ARCH.has(arch.architecture)) return arch;
    throw new PlatformError(`"${spec}": unknown operating system or architecture`);
  }
  if (parts.length > 3) throw new PlatformError(`"${spec}": cannot parse platform specifier`);
  const platform = normalizePlatform({ os: parts[0]!, architecture: parts[1]!, variant: parts[2] });
  if (!KNOWN_OS.has(platform.os)) throw new PlatformError(`"${spec}": unknown operating system`);
  if (!KNOWN_ARCH.has(platform.architecture)) throw new PlatformError(`"${spec}": unknown architecture`);
  return platform;
}

/** Node's `process.arch` names to OCI's; pass `process.arch` and `process.platform` in. */
export function platformFromNode(nodeArch: string, nodePlatform: string): Platform {
  const architecture =
    { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' }[
      nodeArch
    ] ?? nodeArch;
  const os = nodePlatform === 'win32' ? 'windows' : nodePlatform;
  return normalizePlatform({ os, architecture });
}

/** The names of the automatic platform ARGs. */
export const PLATFORM_ARG_NAMES = [
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'TARGETSTAGE',
] as const;

/**
 * The automatic ARGs in the global scope, with build-arg overrides applied as
 * BuildKit applies them. Like any global ARG, a stage sees one only after
 * declaring it (`ARG TARGETARCH`).
 */
export function platformArgs(
  build: Platform,
  target: Platform,
  targetStage: string,
  overrides: ReadonlyMap<string, string>,
): Map<string, string> {
  const defaults: [string, string][] = [
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['TARGETSTAGE', targetStage],
  ];
  return new Map(defaults.map(([key, value]) => [key, overrides.get(key) ?? value]));
}
