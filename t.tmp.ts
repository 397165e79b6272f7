import { loadProfile, formatIssue } from './src/profile/index.ts';
import { readFileSync } from 'node:fs';
for (const f of ['examples/kvm-node.yaml','examples/kvm-node-bridge.yaml']) { const r = loadProfile(f, readFileSync(f,'utf8')); console.log(f, r.ok, r.ok ? JSON.stringify(r.profile) : r.issues.map(formatIssue)); }
const t = `apiVersion: v2
kind: HostProfile
metadata: {name: X}
hypervisor: KVM
packages: {install: yes}
memory: 3
xen: {}
condor:
  configFile: etc/x.conf
  vm:
    memroy: 1024
    maxNumber: "2"
    networking:
      types: [nat, bridge, nat]
      default: bridge
verify: {timeout: 5, onFailure: keep}
`;
const r = loadProfile('p.yaml', t); if (!r.ok) console.log(r.issues.map(formatIssue).join('\n'));
const r2 = loadProfile('p.yaml', 'apiVersion: vm-provision/v1\nkind: HostProfile\nmetadata: {name: a}\nhypervisor: xen\ncondor: {vm: {memory: 5}}\n'); console.log(JSON.stringify(r2.ok && r2.profile), r2.ok && r2.positionOf(['condor','vm','maxNumber']));
