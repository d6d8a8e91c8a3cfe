/**
 * The shape of an ARN in a grant (partition, service, region, account, resource part), judged
 * before its fit to the grant's actions.
 */
import { serviceExists, splitArn } from '../iam-reference';

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc']);

/** Problems with one ARN's shape (not with its fit to an action). */
export function arnShapeProblems(arn: string, partition: string): string[] {
  const parts = splitArn(arn);
  if (parts.length < 6 || parts[0] !== 'arn') {
    return [`"${arn}" is not an ARN; expected arn:${partition}:<service>:<region>:<account>:<resource>`];
  }
  const [, p, service, region, account] = parts;
  const problems: string[] = [];
  if (!PARTITIONS.has(p)) {
    problems.push(`"${arn}" has unknown partition "${p}"; this stack's partition is "${partition}"`);
  } else if (p !== partition) {
    problems.push(`"${arn}" is in partition "${p}" but this stack deploys to partition "${partition}"; use arn:${partition}:...`);
  }
  if (!serviceExists(service) && !service.includes('${')) {
    problems.push(`"${arn}" names unknown service "${service}"`);
  }
  if (region !== '' && region !== '*' && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region) && !region.includes('${')) {
    problems.push(`"${arn}" has malformed region "${region}"`);
  }
  if (account !== '' && account !== '*' && account !== 'aws' && !/^\d{12}$/.test(account) && !account.includes('${')) {
    problems.push(`"${arn}" has malformed account "${account}"; expected 12 digits`);
  }
  if (parts.slice(5).join(':') === '') {
    problems.push(`"${arn}" has an empty resource part`);
  }
  return problems;
}
