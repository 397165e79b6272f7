// Everything doctor looks at, gathered once through the Host; the checks are pure functions of it.
import type { Facts } from '../facts/gather.ts';
import type { FileInfo } from '../host/host.ts';
import type { KnobSource } from '../condor/config-val.ts';
import type { JournalData } from '../engine/journal.ts';
import type { PackagesEvidence } from './checks-packages.ts';
import type { NodeEvidence } from './gather-node.ts';

/** What open(2) said, as dd reports it: ok, or the error text and its errno name. */
export interface OpenResult { ok: boolean; error?: string; errno?: string }

/** One slot ad of this machine, as doctor asks for it. */
export interface AdvertisedSlot {
  name: string; hasVm?: boolean; vmType?: string; vmMemory?: number; daemonStartTime?: number;
  offlineUniverses?: string; vmOfflineReason?: string;
}

export interface ConfigFile { path: string; text?: string; mtime?: number }

export interface Evidence {
  host: string;
  /** The node's clock (seconds). */
  now: number;
  uid: number;
  facts: Facts;
  /** The files' view, as the startd would read them now (`condor_config_val -subsystem startd -v`). */
  files: Record<string, KnobSource>;
  /** The files HTCondor reads, in read order (`condor_config_val -config`), with text and mtime. */
  configFiles: ConfigFile[];
  /** What the running startd was configured with (`condor_config_val -startd -v`), or why it could not be asked. */
  running: { sources?: Record<string, KnobSource>; error?: string };
  gahp?: { path: string; info?: FileInfo; target?: string; targetInfo?: FileInfo };
  kvm?: { info?: FileInfo; read?: OpenResult; write?: OpenResult };
  /** `virsh -c URI uri` as the agent's user (root): how the gahp connects. */
  libvirt?: { uri: string; virsh?: string; exitCode?: number; output?: string; timedOut?: boolean };
  xenBootloader?: { path: string; info?: FileInfo; readable: boolean; error?: string };
  slots: { machine: string; ads: AdvertisedSlot[]; error?: string };
  logs: { startLog?: string; vmGahpLog?: string; masterLog?: string; paths: { startLog: string; vmGahpLog: string; masterLog: string } };
  journal: { present: boolean; data?: JournalData; error?: string };
  /** apt nodes: an interrupted dpkg, the VM universe's packages and their candidates (checks-packages.ts). */
  packages?: PackagesEvidence;
  /** Mounts and free space where apply writes, a run in progress, DAEMON_LIST, the collector's clock (gather-node.ts). */
  node?: NodeEvidence;
}
