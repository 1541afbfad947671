// Claims on jobs that must run once across every process sharing a database. A claim is one row per
// (job, run key); INSERT .. ON CONFLICT makes claiming atomic on PGlite and on a server alike.
import type { Queryable } from '../db/client.ts';

/**
 * Claims a run. Returns true when this process now owns it: there was no row, or the previous
 * attempt failed more than `retryFailedAfterSeconds` ago, or its owner stopped sending heartbeats for `staleAfterSeconds` (it died).
 */
export async function claimRun(
  db: Queryable,
  job: string,
  runKey: string,
  owner: string,
  staleAfterSeconds = 900,
  retryFailedAfterSeconds = 1800,
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO job_runs (job, run_key, status, owner) VALUES ($1, $2, 'running', $3)
     ON CONFLICT (job, run_key) DO UPDATE
       SET status = 'running', owner = EXCLUDED.owner, started_at = now(), heartbeat_at = now(),
           finished_at = NULL, detail = NULL
       WHERE (job_runs.status = 'failed' AND job_runs.finished_at < now() - make_interval(secs => $5))
          OR (job_runs.status = 'running' AND job_runs.heartbeat_at < now() - make_interval(secs => $4))
     RETURNING job`,
    [job, runKey, owner, staleAfterSeconds, retryFailedAfterSeconds],
  );
  return rows.length === 1;
}

export async function heartbeat(db: Queryable, job: string, runKey: string, owner: string): Promise<void> {
  await db.query(
    `UPDATE job_runs SET heartbeat_at = now() WHERE job = $1 AND run_key = $2 AND owner = $3 AND status = 'running'`,
    [job, runKey, owner],
  );
}

export async function finishRun(
  db: Queryable,
  job: string,
  runKey: string,
  owner: string,
  status: 'done' | 'failed',
  detail: string | null,
): Promise<void> {
  await db.query(
    `UPDATE job_runs SET status = $4, finished_at = now(), detail = $5
     WHERE job = $1 AND run_key = $2 AND owner = $3`,
    [job, runKey, owner, status, detail],
  );
}

export async function lastRun(
  db: Queryable,
  job: string,
): Promise<{ runKey: string; status: string; finishedAt: Date | null; detail: string | null } | null> {
  const rows = await db.query<{ run_key: string; status: string; finished_at: Date | null; detail: string | null }>(
    `SELECT run_key, status, finished_at, detail FROM job_runs WHERE job = $1 ORDER BY started_at DESC LIMIT 1`,
    [job],
  );
  const r = rows[0];
  return r ? { runKey: r.run_key, status: r.status, finishedAt: r.finished_at, detail: r.detail } : null;
}
