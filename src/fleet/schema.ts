// The fleet file (kind: Fleet): which hosts, which profile each gets, how to reach them, how to roll out.
import { z } from 'zod';

export const FLEET_API_VERSION = 'vm-provision/v1';
export const FLEET_KIND = 'Fleet';
export const HOST_KEY_POLICIES = ['strict', 'accept-new'] as const;

const NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
/** A host name or address as ssh takes it: no spaces, no control characters, never an option. */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9_.:[\]%-]+$/;
const PERCENT = /^(\d{1,3})%$/;

export function hostNameProblem(name: string): string | undefined {
  if (name.startsWith('-')) return `"${name}" starts with "-": ssh would read it as an option`;
  if (!HOST_NAME_PATTERN.test(name)) return `"${name}" is not a host name or address (letters, digits, ".", "-", "_", ":" only)`;
  return undefined;
}

const percent = (min: number) =>
  z.string().superRefine((value, ctx) => {
    const m = PERCENT.exec(value);
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < min || n > 100) {
      ctx.addIssue({
        code: 'custom', input: value,
        message: `must be a whole number or a percentage from ${min}% to 100% (got ${JSON.stringify(value)})`,
        params: { hint: 'write e.g. 5 or "25%"' },
      });
    }
  });

const filePath = z.string().min(1);

export const BatchSizeSchema = z.union([z.int().min(1), percent(1)])
  .meta({ description: 'Hosts in a batch: a number, or a percentage of all selected hosts (rounded down, at least 1).' });

export const ThresholdSchema = z.union([z.int().min(0), percent(0)])
  .meta({ description: 'A number of hosts, or a percentage of all selected hosts (rounded down). Exceeded, not reached, stops the rollout.' });

const hostName = z.string().superRefine((value, ctx) => {
  const problem = hostNameProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', input: value, message: problem });
});

const InventorySource = z
  .strictObject({
    ansible: filePath.optional().meta({ description: 'An Ansible inventory file (INI or YAML), relative to the fleet file.' }),
    hosts: z.array(hostName).min(1).optional().meta({ description: 'Host names or addresses (in the implicit group ungrouped).' }),
    pool: z
      .strictObject({
        collector: hostName.meta({ description: 'The central manager to ask (condor_status -pool).' }),
        constraint: z.string().min(1).optional().meta({ description: 'A ClassAd constraint on the startd ads, e.g. HasVM =!= true.' }),
      })
      .optional()
      .meta({ description: 'The execute nodes the collector knows, one per Machine (in the group pool).' }),
  })
  .superRefine((value, ctx) => {
    const given = (['ansible', 'hosts', 'pool'] as const).filter((k) => value[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom', input: value,
        message: given.length === 0 ? 'an inventory entry needs one of ansible, hosts or pool' : `an inventory entry has exactly one of ansible, hosts or pool (got ${given.join(' and ')})`,
        params: { hint: 'write each source as its own list item: - ansible: … / - hosts: […] / - pool: {…}' },
      });
    }
  });

const ProfileRule = z.strictObject({
  match: z.string().min(1).meta({ description: 'A group name, a host glob (*, ?, [..]), or all. The first matching rule wins.' }),
  profile: filePath.meta({ description: 'The host profile (YAML), relative to the fleet file.' }),
});

const Ssh = z.strictObject({
  user: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'must be a user name').optional()
    .meta({ description: 'Login user; default: ssh decides (~/.ssh/config, else your user name). ansible_user overrides it.' }),
  become: z.boolean().default(false).meta({ description: 'Run the agent with sudo -n when the login user is not root.' }),
  hostKeys: z.enum(HOST_KEY_POLICIES).default('strict')
    .meta({ description: 'strict: known host keys only; accept-new: record unknown keys, still refuse changed ones.' }),
  connectTimeout: z.int().min(1).max(300).default(10).meta({ description: 'Seconds for the TCP connection and SSH handshake.' }),
  port: z.int().min(1).max(65535).optional().meta({ description: 'Default SSH port; ansible_port overrides it.' }),
  identityFile: filePath.optional().meta({ description: 'Private key file, relative to the fleet file; ansible_ssh_private_key_file overrides it.' }),
  knownHostsFile: filePath.optional()
    .meta({ description: 'known_hosts file to check host keys against (UserKnownHostsFile), relative to the fleet file; default: ssh decides (~/.ssh/known_hosts).' }),
  persist: z.int().min(0).max(3600).default(60)
    .meta({ description: "Seconds a host's SSH connection stays open after a run (ControlPersist), reused by the next run while the known_hosts files and ssh config are unchanged; 0: closed after each batch. Ansible's default is 60." }),
  connectRetries: z.int().min(0).max(10).default(2)
    .meta({ description: 'Retries of a connect that failed in a way that may pass (refused, timed out, reset), with backoff 1, 3, 7 … s (capped at 30 s).' }),
});

const Rollout = z.strictObject({
  batches: z.union([BatchSizeSchema, z.array(BatchSizeSchema).min(1)]).default([1, '100%'])
    .meta({ description: "Ansible's serial: N, \"P%\", or a list whose last item repeats. Default: a canary of 1, then the rest." }),
  concurrency: z.int().min(1).max(1000).default(20).meta({ description: 'Hosts in flight at once within a batch (a sliding window).' }),
  maxFail: ThresholdSchema.default('5%'),
  maxUnreachable: ThresholdSchema.default('10%'),
  hostTimeout: z.int().min(30).max(86400).default(1800).meta({ description: 'Seconds one host may take, enforced on the node.' }),
  gate: z.strictObject({
    enabled: z.boolean().default(true).meta({ description: 'After each batch, check from the pool side that every converged host advertises HasVM with its VM_Type.' }),
    collector: hostName.optional()
      .meta({ description: "The central manager to ask once per batch (condor_status here, else over SSH on it); default: a pool source's collector, else each node asks its pool over its own connection." }),
    timeout: z.int().min(0).max(3600).default(120).meta({ description: 'Seconds to wait for the collector to show the batch (ads are sent every UPDATE_INTERVAL).' }),
  }).default({ enabled: true, timeout: 120 }),
});

export const FleetSchema = z.strictObject({
  apiVersion: z.literal(FLEET_API_VERSION),
  kind: z.literal(FLEET_KIND),
  metadata: z.strictObject({
    name: z.string().max(63).regex(NAME_PATTERN, 'must be lowercase letters, digits, "." and "-", starting and ending with a letter or digit')
      .meta({ description: 'Name of the fleet: names the run records and the controller lock.' }),
    description: z.string().optional(),
  }),
  inventory: z.array(InventorySource).min(1).meta({ description: 'Where the hosts come from; sources are merged in order.' }),
  profiles: z.array(ProfileRule).min(1).meta({ description: 'Which profile each host gets: the first rule that matches it.' }),
  ssh: Ssh.default({ become: false, hostKeys: 'strict', connectTimeout: 10, persist: 60, connectRetries: 2 }),
  rollout: Rollout.default({ batches: [1, '100%'], concurrency: 20, maxFail: '5%', maxUnreachable: '10%', hostTimeout: 1800, gate: { enabled: true, timeout: 120 } }),
});

export type FleetSpec = z.output<typeof FleetSchema>;
export type FleetInput = z.input<typeof FleetSchema>;
export type BatchSize = z.output<typeof BatchSizeSchema>;
export type Threshold = z.output<typeof ThresholdSchema>;
