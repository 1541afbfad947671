// `paperpulse vote`: upvote a paper as a named user, or withdraw the vote. An admin tool until accounts
// exist: the user is created on first use.
import type { Command } from 'commander';
import { getPaperCounts, ensureUser, findUserId } from '../feed/votes.repository.ts';
import { PaperNotFoundError, unvote, upvote, type VoteResult } from '../feed/votes.service.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import { CliError, withDataDir, type CliDeps, type CommonOptions } from './main.ts';

interface VoteOpts extends CommonOptions {
  user: string;
  paper: string;
  undo?: boolean;
  json?: boolean;
}

/** Same rule as the users_username_format constraint (0002_votes.sql). */
const USERNAME = /^[a-z0-9_-]{2,40}$/;

const plural = (n: number) => `${n} upvote${n === 1 ? '' : 's'}`;

function sentence(user: string, r: VoteResult, undo: boolean): string {
  const counts = `${plural(r.upvotes)}, trending score ${r.trendingScore.toFixed(4)}`;
  if (undo) {
    return r.changed
      ? `${user} withdrew the upvote on ${r.paperId} (now ${counts})`
      : `${user} had not upvoted ${r.paperId}; nothing changed (${counts})`;
  }
  return r.changed
    ? `${user} upvoted ${r.paperId} (now ${counts})`
    : `${user} had already upvoted ${r.paperId}; nothing changed (${counts})`;
}

export function registerVote(program: Command, deps: CliDeps): void {
  withDataDir(
    program
      .command('vote')
      .description('upvote a paper as a user, or withdraw the upvote with --undo (admin tool until accounts exist)')
      .requiredOption('--user <name>', 'username: 2 to 40 of a-z 0-9 _ - (created when missing)')
      .requiredOption('--paper <id>', 'arXiv id or abs/pdf URL of a stored paper (e.g. 2501.00001)')
      .option('--undo', 'withdraw the upvote instead')
      .option('--json', 'print the result as one JSON object on stdout')
      .addHelpText(
        'after',
        `
Voting is idempotent: a second upvote by the same user, or an --undo without a vote, changes nothing.
Each vote updates the paper's upvote count and trending score in one transaction (docs/trending.md).

Exit status: 0 on success (also when nothing changed); 1 when the paper is not in the database;
2 for a malformed username or paper id.

Examples:
  paperpulse vote --user alice --paper 2501.00001
  paperpulse vote --user alice --paper https://arxiv.org/abs/2501.00001v2 --undo`,
      ),
  ).action(async (opts: VoteOpts) => {
    const user = opts.user.trim().toLowerCase();
    if (!USERNAME.test(user)) {
      throw new CliError(`--user "${opts.user}" is not a valid username: use 2 to 40 of a-z, 0-9, "_" and "-"`, 2);
    }
    const parsed = parseArxivId(opts.paper);
    if (!parsed) {
      throw new CliError(`--paper "${opts.paper}" is not an arXiv id (e.g. 2501.00001, hep-th/9901001 or an arxiv.org/abs URL)`, 2);
    }
    const paperId = parsed.id;
    const notStored = () =>
      new CliError(
        `paper ${paperId} is not in the database; import it or fetch it first (paperpulse ingest arxiv --ids ${paperId})`,
        1,
      );

    const { result, userCreated } = await deps.withContext(opts, async (ctx) => {
      // Checked before the user is created, so that a vote for an unknown paper writes nothing.
      const counts = await getPaperCounts(ctx.db, paperId);
      if (!counts) throw notStored();
      try {
        if (opts.undo) {
          const userId = await findUserId(ctx.db, user);
          if (userId === null) {
            const r: VoteResult = { paperId, voted: false, changed: false, upvotes: counts.upvotes, trendingScore: counts.trending_score };
            return { result: r, userCreated: false };
          }
          return { result: await unvote(ctx, { userId, paperId }), userCreated: false };
        }
        const u = await ensureUser(ctx.db, user);
        return { result: await upvote(ctx, { userId: u.id, paperId }), userCreated: u.created };
      } catch (err) {
        if (err instanceof PaperNotFoundError) throw notStored(); // deleted meanwhile
        throw err;
      }
    });

    if (opts.json) {
      process.stdout.write(JSON.stringify({ user, userCreated, ...result }) + '\n');
      return;
    }
    process.stdout.write((userCreated ? `created user ${user}\n` : '') + sentence(user, result, Boolean(opts.undo)) + '\n');
  });
}
