/**
 * Tag validation against IAM's rules for role tags.
 */
import { AwsLimits } from './limits';
import { agentProblem } from './errors';

/** Characters IAM accepts in tag keys and values. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/**
 * Problems with a role's tags (count, lengths, characters, reserved prefix). `defaultTags` are
 * the provider's default_tags, which AWS adds to the role: they count towards the 50.
 */
export function validateTags(agent: string, tags: Record<string, string>, defaultTags: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  const keys = Object.keys(tags);
  const extra = Object.keys(defaultTags).filter((k) => !(k in tags));
  const total = keys.length + extra.length;
  if (total > AwsLimits.TAGS_PER_ROLE) {
    problems.push(agentProblem(agent, 'tags', `${total} tags (library tags${extra.length > 0 ? ` and ${extra.length} provider default_tags` : ''} included); IAM allows ${AwsLimits.TAGS_PER_ROLE} per role. Remove ${total - AwsLimits.TAGS_PER_ROLE} extra tags`));
  }
  for (const k of keys) {
    const v = tags[k];
    if (k.length === 0 || k.length > AwsLimits.TAG_KEY_MAX) {
      problems.push(agentProblem(agent, `tags["${k.slice(0, 40)}"]`, `key is ${k.length} characters; IAM allows 1-${AwsLimits.TAG_KEY_MAX}. Shorten the key`));
    }
    if (k.toLowerCase().startsWith('aws:')) {
      problems.push(agentProblem(agent, `tags["${k}"]`, 'keys starting with "aws:" are reserved by AWS; choose another prefix'));
    }
    if (!TAG_CHARS.test(k)) {
      problems.push(agentProblem(agent, `tags["${k}"]`, 'key has characters IAM rejects; use letters, digits, spaces and _ . : / = + - @'));
    }
    if (typeof v !== 'string') {
      problems.push(agentProblem(agent, `tags["${k}"]`, 'value must be a string'));
      continue;
    }
    if (v.length > AwsLimits.TAG_VALUE_MAX) {
      problems.push(agentProblem(agent, `tags["${k}"]`, `value is ${v.length} characters; IAM allows ${AwsLimits.TAG_VALUE_MAX}. Shorten it`));
    }
    if (!TAG_CHARS.test(v)) {
      problems.push(agentProblem(agent, `tags["${k}"]`, `value "${v.slice(0, 60)}" has characters IAM rejects in tags (such as commas or quotes); use letters, digits, spaces and _ . : / = + - @`));
    }
  }
  return problems;
}
