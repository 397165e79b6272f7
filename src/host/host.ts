// The one interface through which everything touches a node: run locally, over SSH, or against a fake in tests.
export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface ExecResult {
  command: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut?: boolean;
}

export interface FileInfo {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

export interface LockHandle {
  release(): Promise<void>;
}

export interface Host {
  /** How messages name this node (hostname, or user@address over SSH). */
  readonly name: string;
  /** Runs argv (never a shell string); never throws for a non-zero exit, only when it cannot start it at all. */
  exec(cmd: string, args: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** undefined when the file does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** lstat: undefined when nothing is there. */
  fileInfo(path: string): Promise<FileInfo | undefined>;
  realpath(path: string): Promise<string | undefined>;
  listDir(path: string): Promise<string[] | undefined>;
  mkdirp(path: string, mode?: number): Promise<void>;
  /**
   * Write a temp file beside `path` (a dot-name HTCondor skips, created O_EXCL|O_NOFOLLOW), fsync, rename over `path`,
   * fsync the directory. Replacing a regular file keeps its owner and mode; `opts.mode` (default 0644) is for a new file.
   */
  writeFileAtomic(path: string, content: string, opts?: { mode?: number }): Promise<void>;
  remove(path: string): Promise<void>;
  /** An exclusive run lock only root can take (flock on a 0600 file), freed by the kernel with its holder; throws VmpError LOCKED naming the holder. */
  acquireLock(path: string): Promise<LockHandle>;
  /** The user id the agent runs as on the node (0 = root). */
  uid(): Promise<number>;
  /** Seconds since the epoch on the node (log times and ad times are the node's). */
  now(): Promise<number>;
}

/** PATH used to find tools, whatever the caller's environment. */
export const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export async function which(host: Host, bin: string, extraDirs: string[] = []): Promise<string | undefined> {
  for (const dir of [...SEARCH_PATH, ...extraDirs]) {
    const p = `${dir}/${bin}`;
    const info = await host.fileInfo(p);
    if (info && (info.kind === 'file' || info.kind === 'symlink')) return p;
  }
  return undefined;
}
