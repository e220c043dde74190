/**
 * import() of an ES module by URL. The CLI bundle is CommonJS run as vm code
 * (for V8's code cache, see bin/layerlab.js), where a real import() has no
 * loader, so bin/layerlab.js hands one in under this symbol; the tsc build
 * imports directly.
 */
const loaderKey = Symbol.for('layerlab.importEsm');

export function importEsm<T>(url: URL): Promise<T> {
  const viaLoader = (globalThis as Record<symbol, unknown>)[loaderKey] as ((href: string) => Promise<T>) | undefined;
  return viaLoader ? viaLoader(url.href) : (import(url.href) as Promise<T>);
}
