/** The local-process adapter of the RuntimeProvider port. */
export { resolveExecutable } from './executable.js';
export { LocalRuntime, type LocalRuntimeDeps } from './local-runtime.js';
export type { LocalRuntimeOptions, ResolvedLocalRuntimeOptions } from './options.js';
export type { PortRange } from './ports.js';
