import type { Experiment } from '../model.js';
import type { Fault, FaultDeps } from '../ports.js';
import { dbProxy } from './db-proxy.js';
import { fillDisk } from './fill-disk.js';
import { hangServers } from './hang-servers.js';
import { killReplica } from './kill-replica.js';
import { killServers } from './kill-servers.js';

/** The one place a fault type becomes its plug-in: a new fault is a new file and one line here. */
export function faultFor(exp: Experiment, deps: FaultDeps): Fault {
  const f = exp.fault;
  switch (f.type) {
    case 'kill-servers': return killServers(f, deps);
    case 'hang-servers': return hangServers(f, deps);
    case 'kill-replica': return killReplica(f, deps);
    case 'db-proxy': return dbProxy(f);
    case 'fill-disk': return fillDisk(f, exp.name);
  }
}
