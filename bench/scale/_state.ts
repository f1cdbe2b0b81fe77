import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { World } from '../../src/state/world.js';
const dir = process.argv[2];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let i = 0; i < 4; i++) {
  global.gc?.();
  const store = SqliteStore.open(dir + '/handoff.db', { checkpoint: false });
  let c = cpu(); let t = performance.now();
  const { snapshot, openCounts } = await store.loadWithoutSessions(Date.now());
  const c1 = cpu() - c; const t1 = performance.now() - t;
  c = cpu(); t = performance.now();
  const w = World.fromSnapshot(snapshot, openCounts);
  const c2 = cpu() - c; const t2 = performance.now() - t;
  console.log(`read ${Math.round(t1)} ms (CPU ${Math.round(c1)}), world ${Math.round(t2)} ms (CPU ${Math.round(c2)}), servers ${w.servers.size}`);
  await store.close();
}
