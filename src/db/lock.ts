// An exclusive lock on the embedded database directory. PGlite is a single-process database: two
// processes writing the same data directory would corrupt it, so the second one is refused with a
// message that names the holder. A lock left by a process that died (kill -9) is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export interface DirLock {
  release(): void;
}

export class DatabaseLockedError extends Error {
  constructor(readonly pid: number, readonly command: string) {
    super(
      `the embedded database is in use by another paperpulse process (pid ${pid}: ${command}). ` +
        'PGlite allows one process at a time: stop that process first, or run paperpulse on a ' +
        'PostgreSQL server (DATABASE_URL) to use several processes at once.',
    );
    this.name = 'DatabaseLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDirLock(file: string): DirLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, command: process.argv.slice(2).join(' ') }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const held = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
          if (held.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; command: string } | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        holder = null; // half-written or unreadable: treat as stale
      }
      if (holder && alive(holder.pid)) {
        throw new DatabaseLockedError(holder.pid, holder.command || 'paperpulse');
      }
      try {
        unlinkSync(file);
      } catch {
        // someone else removed it first; try again
      }
    }
  }
  throw new Error(`cannot take the database lock ${file}`);
}
