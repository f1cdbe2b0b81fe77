import { HISTORY_LIMIT, type Environment, type EnvHistoryEntry } from './model.js';

/** Appends a history line (keeping the newest `HISTORY_LIMIT`) and stamps `updatedAt`. */
export function record(env: Environment, at: number, entry: Omit<EnvHistoryEntry, 'at'>): Environment {
  const history = [...env.history, { at, ...entry }];
  return { ...env, history: history.length > HISTORY_LIMIT ? history.slice(-HISTORY_LIMIT) : history, updatedAt: at };
}
