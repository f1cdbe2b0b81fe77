import type { ReleaseRecord } from '../release/model.js';
import type { ReleaseView } from './release-schemas.js';

export function releaseView(r: ReleaseRecord): ReleaseView {
  return {
    name: r.name, phase: r.phase, message: r.message, failurePolicy: r.spec.failurePolicy,
    steps: r.steps.map((s) => {
      const spec = r.spec.steps.find((p) => p.name === s.name);
      return { ...s, fleet: spec?.fleet ?? '', build: spec?.build ?? '', strategy: spec?.spec.strategy ?? '', after: spec?.after ?? [] };
    }),
    completionOrder: r.completionOrder,
    spec: r.spec as unknown as Record<string, unknown>,
    createdAt: r.createdAt, updatedAt: r.updatedAt, finishedAt: r.finishedAt,
  };
}
