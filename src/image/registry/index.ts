export { pullImage, type PullOptions, type PullResult } from './pull.js';
export { pushImage, DEFAULT_CHUNK_SIZE, type PushOptions, type PushResult } from './push.js';
export { RegistryClient, type RegistryClientOptions } from './client.js';
export { hostPlatform, parsePlatform, formatPlatform, selectPlatformManifest, type PlatformWanted } from './platform.js';
export { TransferProgressPrinter, formatBytes, shortDigest, type TransferEvent, type ProgressListener, type BlobStatus } from './progress.js';
export { loadCredentials, dockerConfigPath, type RegistryCredentials } from './docker-config.js';
export { pullEndpoints, registryEndpoint, isInsecureRegistry, type Endpoint } from './endpoint.js';
export * from './errors.js';
