/**
 * The session-policy templates of an agent as synthesized: SSM parameters under
 * `/agent-iam/<env>/agents/<agent>/session-policies/<template>` (written by AgentIamStack for the
 * credential broker; the `/read-only` variants are derived from them). A template may only narrow
 * the agent's grants, so a suggestion must keep what a template uses.
 */
import { readPolicyDocument, TerraformConfig } from '../assess';
import { SessionTemplate } from './suggestion';

const TEMPLATE_PARAMETER = /^\/agent-iam\/[^/]+\/agents\/([^/]+)\/session-policies\/([^/]+)$/;

/** The templates of every agent of a configuration, by agent name. */
export function sessionTemplates(config: TerraformConfig): Map<string, SessionTemplate[]> {
  const out = new Map<string, SessionTemplate[]>();
  for (const r of config.resources) {
    if (r.type !== 'aws_ssm_parameter') continue;
    const m = TEMPLATE_PARAMETER.exec(String(r.values.name ?? ''));
    if (!m) continue;
    const doc = readPolicyDocument(r.values.value);
    if (!doc) continue;
    const statements = doc.Statement.filter((s) => s.Effect === 'Allow' && s.Action && s.Resource)
      .map((s) => ({ actions: s.Action!, resources: s.Resource! }));
    out.set(m[1], [...(out.get(m[1]) ?? []), { name: m[2], statements }]);
  }
  return out;
}
