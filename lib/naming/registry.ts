/**
 * Where the agent registry lives in SSM Parameter Store: one SecureString per agent under
 * `/agent-iam/<env>/agents/`, its session-policy templates beneath it. The entry's shape is
 * `AgentRegistryEntry` (lib/registry-entry.ts).
 */
import { LIBRARY_NAME_PREFIX } from './resources';

/** The SSM path of every registry of every environment: `/agent-iam/`. */
export const REGISTRY_ROOT = `/${LIBRARY_NAME_PREFIX}/`;

/** The SSM path under which an environment's registry lives: `/agent-iam/<env>/agents/`. */
export function registryParameterPrefix(environment: string): string {
  return `${REGISTRY_ROOT}${environment}/agents/`;
}

/** The SSM parameter holding an agent's registry entry: `/agent-iam/<env>/agents/<name>`. */
export function registryParameterName(environment: string, agent: string): string {
  return `${registryParameterPrefix(environment)}${agent}`;
}

const REGISTRY_PARAMETER = new RegExp(`^${REGISTRY_ROOT}[^/]+/agents/([^/]+)$`);

/** The agent a registry parameter name belongs to (`/agent-iam/dev/agents/triage` -> `triage`), or undefined. */
export function agentOfRegistryParameter(name: string): string | undefined {
  return REGISTRY_PARAMETER.exec(name)?.[1];
}

/** The SSM parameter of a session-policy template: `<registry entry>/session-policies/<template>`. */
export function sessionPolicyParameterName(environment: string, agent: string, template: string): string {
  return `${registryParameterName(environment, agent)}/session-policies/${template}`;
}

/** The SSM parameter of a template's read-only variant, published at synth for the broker: `<template parameter>/read-only`. */
export function readOnlyVariantParameterName(templateParameter: string): string {
  return `${templateParameter}/read-only`;
}
