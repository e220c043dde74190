/**
 * The shapes of OCI image-spec and Docker schema2 documents, shared by the
 * store, the formats (load/save/import) and the registry client. Field names
 * follow the specs exactly (including Docker's capitalised container config),
 * because these objects are serialised as-is and their digests must match
 * what other tools compute.
 */

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** What `docker save` (OCI-flavoured, Docker >= 25) and some tools use for uncompressed layers. */
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export type MediaType = (typeof MediaTypes)[keyof typeof MediaTypes];

/** The annotation that names an image inside an OCI layout's index.json. */
export const AnnotationRefName = 'org.opencontainers.image.ref.name';
/** containerd/Docker put the full reference here in OCI-flavoured `docker save` output. */
export const AnnotationContainerdImageName = 'io.containerd.image.name';
export const AnnotationCreated = 'org.opencontainers.image.created';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  data?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The runtime part of an image config (Docker's capitalised names, shared by OCI). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  /** Docker extensions, kept when present so a round trip loses nothing. */
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    StartInterval?: number;
    Retries?: number;
  };
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True when the step changed only the config and produced no layer. */
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.ociManifest || mediaType === MediaTypes.dockerManifest;
}

export type LayerCompression = 'gzip' | 'none' | 'zstd';

/**
 * Which compression a layer media type declares, or undefined when it is not
 * a layer type we know. Extraction still sniffs the bytes (gzip magic), since
 * some archives label uncompressed layers as gzip and vice versa.
 */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case MediaTypes.ociLayerGzip:
    case MediaTypes.ociLayerNondistributableGzip:
    case MediaTypes.dockerLayerGzip:
    case MediaTypes.dockerLayerForeignGzip:
      return 'gzip';
    case MediaTypes.ociLayer:
    case MediaTypes.ociLayerNondistributable:
    case MediaTypes.dockerLayerTar:
      return 'none';
    case MediaTypes.ociLayerZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** Only sha256 is accepted: it is what every registry and tool in use produces. */
export function isSha256Digest(value: unknown): value is string {
  return typeof value === 'string' && digestPattern.test(value);
}

export function digestHex(digest: string): string {
  if (!isSha256Digest(digest)) throw new InvalidDigestError(digest);
  return digest.slice('sha256:'.length);
}

export class InvalidDigestError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly digest: string) {
    super(`invalid digest "${digest}": expected sha256:<64 lowercase hex digits>`);
    this.name = 'InvalidDigestError';
  }
}

/** GOARCH-style name of the host CPU, as image configs and platforms spell it. */
export function hostArchitecture(): { architecture: string; variant?: string } {
  switch (process.arch) {
    case 'x64':
      return { architecture: 'amd64' };
    case 'arm64':
      return { architecture: 'arm64', variant: 'v8' };
    case 'arm':
      return { architecture: 'arm', variant: 'v7' };
    case 'ia32':
      return { architecture: '386' };
    default:
      return { architecture: process.arch };
  }
}
