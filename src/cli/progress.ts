// Progress display for long commands: a bar on a terminal (stderr), nothing when piped, so that
// --json output on stdout stays clean and logs stay readable.
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

/**
 * Without a terminal (logs, cron, CI) progress is a plain line on stderr at most every
 * PAPERPULSE_PROGRESS_INTERVAL milliseconds (default 5000; 0 prints every update).
 */
function plainProgress(label: string, total: number): Progress {
  const every = Number(process.env.PAPERPULSE_PROGRESS_INTERVAL ?? 5000);
  let last = Date.now();
  let max = total;
  let latest = '';
  return {
    update(value, payload) {
      latest = `${label}: ${payload ? Object.entries(payload).map(([k, v]) => `${k} ${v}`).join(', ') : value}`;
      if (Date.now() - last >= every) {
        last = Date.now();
        process.stderr.write(`${latest}${max > 1 ? ` (${Math.round((100 * value) / max)}%)` : ''}\n`);
      }
    },
    setTotal: (t) => (max = t),
    stop() {},
  };
}

export function createProgress(opts: { total: number; format: string; label?: string; enabled?: boolean }): Progress {
  const enabled = opts.enabled ?? Boolean(process.stderr.isTTY);
  if (!enabled) return plainProgress(opts.label ?? 'progress', opts.total);
  const bar = new cliProgress.SingleBar(
    { format: opts.format, stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(opts.total, 0, {});
  return {
    update: (v, payload) => bar.update(v, payload),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
