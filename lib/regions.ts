/**
 * AWS region names, for validating the regions an agent may act in. A name
 * missing here fails synth with a clear error; add new regions as AWS opens them.
 */
export const AWS_REGIONS: readonly string[] = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1',
  'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1', 'sa-east-1', 'us-east-1',
  'us-east-2', 'us-west-1', 'us-west-2', 'cn-north-1', 'cn-northwest-1', 'us-gov-east-1', 'us-gov-west-1', 'eusc-de-east-1',
];

/** Whether `region` is a known AWS region name. */
export function isKnownRegion(region: string): boolean {
  return AWS_REGIONS.includes(region);
}

/**
 * Regions a Bedrock cross-region (system-defined) inference profile may route to, by the
 * geography prefix of its id (`us.anthropic...`, `eu.`, `apac.`, `global.` ...). Each profile
 * routes to some regions of its geography (see "Supported Regions and models for inference
 * profiles" in the Amazon Bedrock user guide); the library admits every region of the
 * geography, so a profile AWS extends keeps working.
 */
export const INFERENCE_PROFILE_GEOGRAPHIES: Readonly<Record<string, readonly string[]>> = {
  'us': ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
  'us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  'ca': ['ca-central-1', 'ca-west-1'],
  'eu': AWS_REGIONS.filter((r) => r.startsWith('eu-') && !r.startsWith('eusc-')),
  'apac': AWS_REGIONS.filter((r) => r.startsWith('ap-')),
  'jp': ['ap-northeast-1', 'ap-northeast-3'],
  'au': ['ap-southeast-2', 'ap-southeast-4'],
  'global': AWS_REGIONS.filter((r) => !/^(cn-|us-gov-|eusc-)/.test(r)),
};

/** The destination regions of a cross-region inference profile id (`us.anthropic.claude...`), or undefined. */
export function inferenceProfileRegions(profileId: string): readonly string[] | undefined {
  const geo = /^([a-z-]+)\./.exec(profileId)?.[1];
  return geo ? INFERENCE_PROFILE_GEOGRAPHIES[geo] : undefined;
}
