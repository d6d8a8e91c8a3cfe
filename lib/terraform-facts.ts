/**
 * Compatibility re-export: the Terraform reader now lives in lib/assess/ (one file per concept)
 * and the stage arithmetic in lib/stage-reached.ts. Import from there.
 */
export * from './assess';
