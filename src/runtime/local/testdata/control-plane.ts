// A minimal control plane in a process of its own, for the restart test: starts one echo
// server with LocalRuntime, prints its RuntimeInstance as one JSON line, then idles until it
// is interrupted or killed — like the real control plane would be.
// Usage: node --import tsx control-plane.ts <logDir> <fromPort> <toPort> <serverId>
import { LocalRuntime } from '../local-runtime.js';
import { localEchoBuild } from './echo-build.js';

const [logDir = '', from = '', to = '', serverId = ''] = process.argv.slice(2);
const runtime = LocalRuntime.create({ logDir, portRange: { from: Number(from), to: Number(to) } });
const instance = await runtime.start({ serverId, fleet: 'restart', build: localEchoBuild(), env: {} });
process.stdout.write(`${JSON.stringify(instance)}\n`);
// Keeps the event loop alive: the runtime's own handles are all unref'd.
setInterval(() => {}, 60_000);
