// Test helper process: takes the run lock at argv[2], says so on stdout, and holds it until killed.
// With --spawn-child it first starts a long-lived background child through LocalHost.exec and prints its PID.
import { LocalHost } from '../../../src/host/local-host.ts';

const host = new LocalHost();
await host.acquireLock(process.argv[2]!);
let child = '';
if (process.argv.includes('--spawn-child')) {
  child = (await host.exec('sh', ['-c', 'sleep 120 >/dev/null 2>&1 </dev/null & echo $!'])).stdout.trim();
}
process.stdout.write(`locked ${process.pid} ${child}\n`);
setInterval(() => undefined, 1 << 30);
