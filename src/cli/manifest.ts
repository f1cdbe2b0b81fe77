/**
 * Turns a manifest file into the body of `POST /v1/apply`. Two shapes are accepted, and may be
 * mixed across the documents of one YAML stream (JSON is YAML, so it needs no second path):
 *
 *   kind: Build            builds: [...]
 *   id: arena-1.2          fleets: [...]
 *   ...                    rollouts: [...]   (one document, no `kind`)
 *
 * A `kind: Rollout` document declares a release (`fleet`, `build`, `strategy` and its options):
 * the server starts it unless it is identical to the fleet's latest release. A `kind: ReleasePlan`
 * document declares a release plan (`name`, `failurePolicy`, `webhooks`, `steps`): several
 * fleets' releases in dependency order; started unless identical to the stored plan.
 *
 * That structure is checked here, and so are field names, with the same strict schemas and
 * the same check the server runs (so the two cannot disagree), because only here can an
 * unknown field be pinned to its document: `fleet.yaml: document 2: unknown field
 * "capacity.idleTimeoutSecond" (did you mean "idleTimeoutSeconds"?)`. A manifest with an unknown
 * field sends nothing. Field values are left to the server to validate.
 */
import { parseAllDocuments } from 'yaml';
import { EnvironmentInputSchema, WebhookInputSchema } from '../api/env-schemas.js';
import { ReleasePlanSchema } from '../api/release-schemas.js';
import { BuildInputSchema, FleetInputSchema, RolloutStartSchema } from '../api/schemas.js';
import { closest, describeUnknownFields, unknownFields } from '../core/validation.js';
import { isRecord } from './client.js';
import { UsageError } from './usage.js';

export type ManifestObject = Record<string, unknown>;

export interface ApplyRequest {
  builds: ManifestObject[];
  fleets: ManifestObject[];
  /** Sent only when the manifest declares releases, so a control plane that predates them still takes the rest. */
  rollouts?: ManifestObject[];
  /** Likewise sent only when declared (`kind: ReleasePlan`, `kind: Environment`, `kind: Webhook`). */
  releasePlans?: ManifestObject[];
  environments?: ManifestObject[];
  webhooks?: ManifestObject[];
}

const Kinds = { Build: 'builds', Fleet: 'fleets', Rollout: 'rollouts', ReleasePlan: 'releasePlans', Environment: 'environments', Webhook: 'webhooks' } as const;
type Kind = keyof typeof Kinds;
const ListKeys = ['builds', 'fleets', 'rollouts', 'releasePlans', 'environments', 'webhooks'] as const;
const Schemas = { builds: BuildInputSchema, fleets: FleetInputSchema, rollouts: RolloutStartSchema, releasePlans: ReleasePlanSchema, environments: EnvironmentInputSchema, webhooks: WebhookInputSchema } as const;

function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && Object.hasOwn(Kinds, value);
}

/**
 * Parses `text` (read from `source`, used in messages) into an apply request. Throws
 * `UsageError` naming the 1-based document number for anything structurally wrong.
 */
export function manifestToApplyRequest(text: string, source: string): ApplyRequest {
  const request: Required<ApplyRequest> = { builds: [], fleets: [], rollouts: [], releasePlans: [], environments: [], webhooks: [] };
  const docs = parseAllDocuments(text);
  docs.forEach((doc, i) => {
    const where = `${source}: document ${i + 1}`;
    const error = doc.errors[0];
    if (error) throw new UsageError(`${where}: invalid YAML: ${error.message.split('\n')[0] ?? ''}`);
    const value: unknown = doc.toJS();
    // `---` at the end of a file, or between two documents, yields an empty document.
    if (value === null || value === undefined) return;
    if (!isRecord(value)) throw new UsageError(`${where}: expected a mapping, got ${describe(value)}`);
    if ('kind' in value) addKindDocument(request, value, where);
    else addListDocument(request, value, where);
  });
  if (ListKeys.every((k) => request[k].length === 0)) {
    throw new UsageError(`${source}: no builds, fleets, rollouts, release plans, environments or webhooks found`);
  }
  const out: ApplyRequest = { builds: request.builds, fleets: request.fleets };
  for (const key of ['rollouts', 'releasePlans', 'environments', 'webhooks'] as const) if (request[key].length > 0) out[key] = request[key];
  return out;
}

function addKindDocument(request: Required<ApplyRequest>, doc: ManifestObject, where: string): void {
  const { kind, ...fields } = doc;
  if (!isKind(kind)) {
    throw new UsageError(`${where}: unknown kind ${JSON.stringify(kind)} (expected ${Object.keys(Kinds).join(', ')})`);
  }
  request[Kinds[kind]].push(checkFields(fields, Kinds[kind], where));
}

/** Refuses an object with a field its schema does not know, naming the closest known one. */
function checkFields(item: ManifestObject, key: (typeof ListKeys)[number], where: string): ManifestObject {
  const unknown = unknownFields(Schemas[key], item);
  if (unknown.length > 0) throw new UsageError(`${where}: ${describeUnknownFields(unknown)}`);
  return item;
}

function addListDocument(request: Required<ApplyRequest>, doc: ManifestObject, where: string): void {
  const unknown = Object.keys(doc).filter((k) => !(ListKeys as readonly string[]).includes(k));
  if (unknown.length > 0) {
    const hint = unknown.map((k) => closest(k, ListKeys)).find((k) => k !== null);
    throw new UsageError(
      `${where}: unknown top-level key ${unknown.map((k) => JSON.stringify(k)).join(', ')} ` +
        (hint ? `(did you mean "${hint}"?) ` : '') +
        '(a document has either `kind: Build|Fleet|Rollout|ReleasePlan|Environment|Webhook` or `builds:`, `fleets:`, `rollouts:`, `releasePlans:`, `environments:` and `webhooks:` lists)',
    );
  }
  for (const key of ListKeys) {
    const list = doc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new UsageError(`${where}: \`${key}\` must be a list, got ${describe(list)}`);
    list.forEach((item: unknown, j) => {
      if (!isRecord(item)) throw new UsageError(`${where}: ${key}[${j}] must be a mapping, got ${describe(item)}`);
      request[key].push(checkFields(withoutMatchingKind(item, key, `${where}: ${key}[${j}]`), key, `${where}: ${key}[${j}]`));
    });
  }
}

/** Items copied from `kind:` documents may keep their `kind`; tolerate it when it agrees. */
function withoutMatchingKind(item: ManifestObject, key: (typeof ListKeys)[number], where: string): ManifestObject {
  if (!('kind' in item)) return item;
  const { kind, ...fields } = item;
  if (!isKind(kind) || Kinds[kind] !== key) {
    throw new UsageError(`${where}: kind ${JSON.stringify(kind)} does not belong in \`${key}\``);
  }
  return fields;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
