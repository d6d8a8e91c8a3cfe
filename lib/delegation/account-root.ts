/**
 * Account-root principals (`arn:<partition>:iam::<account>:root` or a bare account id): trusting
 * one trusts every role and user of the account, so each needs a written acknowledgement.
 */
import { AccountRootAcknowledgement, AgentDelegation } from './agent-delegation';

/** The account of an account-root principal (`arn:<p>:iam::<acct>:root` or a bare account id), else undefined. */
export function accountRootOf(principal: string): string | undefined {
  const m = /^(?:arn:[a-z-]+:iam::(\d{12}):root|(\d{12}))$/.exec(principal);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The acknowledgement of an account-root principal, if the delegation gives one. */
export function acknowledgementOf(d: AgentDelegation, principal: string): AccountRootAcknowledgement | undefined {
  return (d.accountRootAcknowledgements ?? []).find((a) => a.principal === principal);
}
