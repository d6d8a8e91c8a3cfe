/**
 * The reader of Terraform that other teams and this library write: configuration JSON, plans and
 * states in, the facts the stage check judges out. One file per concept:
 *
 * - hcl.ts: `.tf` files through @cdktn/hcl2json, and the line between what is read before plan and what is not;
 * - config.ts: the shapes (`TerraformConfig`, `TerraformResource`) and `TerraformInputError`;
 * - terraform-json.ts, plan.ts: parsing `*.tf.json` / `cdk.tf.json` and `terraform show -json`;
 * - values.ts, resource-index.ts: attribute values, references and lookups;
 * - policy-document.ts, policy-source.ts: policy documents and which identity holds which;
 * - agents.ts: agent recognition; trail.ts, detections.ts, adaptive.ts: environment facts;
 * - notes.ts: informational (ADHOC) findings; environment.ts: all of it as one environment.
 *
 * Pure: no cdktf constructs, no file system. Verdicts come from lib/stage-check.ts alone.
 */
export { TerraformInputError, mergeConfigurations } from './config';
export type { TerraformConfig, TerraformFormat, TerraformResource } from './config';
export { parseConfigurationJson, parseTerraformJson } from './terraform-json';
export { hclToJson, parseConfigurationFiles } from './hcl';
export type { ConfigurationFile } from './hcl';
export { parseRef } from './resource-index';
export { readPolicyDocument } from './policy-document';
export { awsManagedPolicyName } from './policy-source';
export type { PolicySource } from './policy-source';
export { looksLikeAgent } from './agents';
export type { Recognition, TerraformAgent } from './agents';
export type { DetectionWiring } from './detections';
export { ADHOC, ADHOC_LABEL, uncheckedNotes } from './notes';
export type { AdHocFinding } from './notes';
export { findingsFor, readEnvironment } from './environment';
export type { TerraformEnvironment } from './environment';
export { catalogStages, stageReached, stagesReached, targetStage } from '../stage-reached';
export type { StagesReached } from '../stage-reached';
