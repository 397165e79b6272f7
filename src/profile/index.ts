export { formatIssue, type ProfileIssue } from './issues.ts';
export { loadProfile, type LoadResult } from './load.ts';
export { readProfileText } from './read-file.ts';
export { MAX_PROFILE_BYTES } from './limits.ts';
export { checkAgainstFacts, type NodeFacts } from './semantic.ts';
export { profileJsonSchema, SCHEMA_ID } from './json-schema.ts';
export { createLocator, type Locator, type Position } from './positions.ts';
export {
  HostProfileSchema,
  XenSectionSchema,
  VmwareSectionSchema,
  API_VERSION,
  KIND,
  HYPERVISORS,
  NETWORK_TYPES,
  VM_NETWORK_TYPES,
  type Profile,
  type ProfileInput,
  type XenSection,
  type VmwareSection,
} from './schema.ts';
