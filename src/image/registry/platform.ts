/**
 * Choosing one image out of an OCI index or a Docker manifest list: the host's
 * platform (os linux, GOARCH from process.arch, the arm variant), or one the
 * user names as "os/arch[/variant]" like docker's --platform.
 */
import { hostArchitecture, type Descriptor, type Platform } from '../oci-types.js';

export interface PlatformWanted {
  os: string;
  architecture: string;
  variant?: string;
}

export class InvalidPlatformError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly platform: string) {
    super(`invalid platform "${platform}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`);
    this.name = 'InvalidPlatformError';
  }
}

export function hostPlatform(): PlatformWanted {
  return { os: 'linux', ...hostArchitecture() };
}

export function parsePlatform(text: string): PlatformWanted {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) throw new InvalidPlatformError(text);
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Partial<Platform> | PlatformWanted | undefined): string {
  if (!p) return 'unknown';
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}

/** arm64 images mostly omit their variant, which is v8; arm images default to v7 (docker's rule). */
function normalizeVariant(architecture: string, variant: string | undefined): string | undefined {
  if (variant) return variant;
  if (architecture === 'arm64') return 'v8';
  return undefined;
}

/** Attestations and other non-images in an index carry platform unknown/unknown. */
function isRunnable(descriptor: Descriptor): boolean {
  const p = descriptor.platform;
  if (!p) return false;
  if (descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return false;
  return p.os !== 'unknown' && p.architecture !== 'unknown';
}

/**
 * The best manifest for `wanted`: same os and architecture, then the exact
 * variant, else an entry without variant, else (arm) the highest lower variant
 * the CPU can also run.
 */
export function selectPlatformManifest(manifests: readonly Descriptor[], wanted: PlatformWanted): Descriptor | undefined {
  const candidates = manifests.filter(
    (m) => isRunnable(m) && m.platform!.os === wanted.os && m.platform!.architecture === wanted.architecture,
  );
  if (candidates.length === 0) return undefined;
  const wantVariant = normalizeVariant(wanted.architecture, wanted.variant);
  if (!wantVariant) return candidates[0];
  const exact = candidates.find((m) => normalizeVariant(m.platform!.architecture, m.platform!.variant) === wantVariant);
  if (exact) return exact;
  const unspecified = candidates.find((m) => !m.platform!.variant);
  if (unspecified) return unspecified;
  const level = (v: string | undefined): number => Number(/^v(\d+)$/.exec(v ?? '')?.[1] ?? NaN);
  const wantLevel = level(wantVariant);
  const lower = candidates
    .filter((m) => level(m.platform!.variant) <= wantLevel)
    .sort((a, b) => level(b.platform!.variant) - level(a.platform!.variant));
  return lower[0];
}

export function describePlatforms(manifests: readonly Descriptor[]): string[] {
  return manifests.filter(isRunnable).map((m) => formatPlatform(m.platform));
}
