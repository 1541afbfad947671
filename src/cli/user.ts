// `paperpulse user`: accounts from the command line. `user create --email ... --admin` makes the first
// admin of a new site; `user role` changes someone's role; `user list` shows who is there.
import type { Command } from 'commander';
import { AccountError, createAccount, endAllSessions } from '../accounts/accounts.service.ts';
import { setRole, userByEmail, userByUsername } from '../accounts/accounts.repository.ts';
import { checkNewPassword } from '../accounts/passwords.ts';
import { checkUsername, ROLES, type Role } from '../accounts/profile.ts';
import { parseEmailAddress } from '../mail/address.ts';
import { CliError, withDataDir, type CliDeps, type CommonOptions } from './main.ts';

interface CreateOpts extends CommonOptions {
  email: string;
  username?: string;
  displayName?: string;
  admin?: boolean;
  moderator?: boolean;
  passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerUser(program: Command, deps: CliDeps): void {
  const user = program.command('user').description('create accounts and change roles');

  withDataDir(
    user
      .command('create')
      .description('create an account (the first admin: --admin)')
      .requiredOption('--email <address>', 'the account\'s email address (sign-in links go there)')
      .option('--username <name>', 'username: 2 to 40 of a-z 0-9 _ - (default: from the email address)')
      .option('--display-name <name>', 'name shown next to submissions and comments')
      .option('--admin', 'make the account an admin')
      .option('--moderator', 'make the account a moderator')
      .option('--password-stdin', 'read a password from standard input (otherwise: sign in by email link)')
      .addHelpText(
        'after',
        `
Exit status: 0 when created; 1 when the email address or username is taken; 2 for invalid input.

Examples:
  paperpulse user create --email admin@example.org --admin
  printf '%s' "$PASSWORD" | paperpulse user create --email ada@example.org --username ada --password-stdin`,
      ),
  ).action(async (opts: CreateOpts) => {
    const email = parseEmailAddress(opts.email);
    if (!email.ok) throw new CliError(`--email: ${email.error}`, 2);
    if (opts.admin && opts.moderator) throw new CliError('choose one of --admin and --moderator', 2);
    const role: Role = opts.admin ? 'admin' : opts.moderator ? 'moderator' : 'user';
    const fromEmail = email.address.split('@')[0].toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
    // Without --username: the address's local part, or (when that is too short or reserved) with "-user".
    let username = checkUsername(opts.username ?? fromEmail);
    if (!username.ok && opts.username === undefined) username = checkUsername(`${fromEmail.slice(0, 35)}-user`);
    if (!username.ok) throw new CliError(`--username: ${username.error}`, 2);
    let password: string | null = null;
    if (opts.passwordStdin) {
      const checked = checkNewPassword(await readStdin());
      if (!checked.ok) throw new CliError(`password: ${checked.error}`, 2);
      password = checked.password;
    }
    const member = await deps.withContext(opts, async (ctx) => {
      try {
        return await createAccount(ctx.db, { username: username.value, email: email.address, displayName: opts.displayName ?? null, role, password });
      } catch (err) {
        if (err instanceof AccountError) throw new CliError(err.message, err.field === 'displayName' ? 2 : 1);
        throw err;
      }
    });
    process.stdout.write(`created ${member.role} @${member.username} <${member.email}>${password ? ' with a password' : '; sign in at /signin with an email link'}\n`);
  });

  withDataDir(
    user
      .command('role')
      .description('change the role of an account (user, moderator, admin); signs it out everywhere')
      .argument('<username-or-email>', 'the account')
      .argument('<role>', ROLES.join(' | ')),
  ).action(async (who: string, role: string, opts: CommonOptions) => {
    if (!ROLES.includes(role as Role)) throw new CliError(`role must be one of ${ROLES.join(', ')} (got "${role}")`, 2);
    const result = await deps.withContext(opts, async (ctx) => {
      const u = who.includes('@') ? await userByEmail(ctx.db, who.trim()) : await userByUsername(ctx.db, who.trim().toLowerCase());
      if (!u) throw new CliError(`no account "${who}"`, 1);
      await setRole(ctx.db, u.id, role as Role);
      await endAllSessions({ db: ctx.db, config: ctx.config, clock: ctx.clock }, u.id);
      return u.username;
    });
    process.stdout.write(`@${result} is now ${role}\n`);
  });

  withDataDir(user.command('list').description('list accounts').option('--json', 'one JSON object per line')).action(
    async (opts: CommonOptions & { json?: boolean }) => {
      const rows = await deps.withContext(opts, (ctx) =>
        ctx.db.query<{ username: string; email: string | null; role: string; created_at: Date }>(
          `SELECT username, email, role, created_at FROM users ORDER BY id`,
        ),
      );
      for (const r of rows) {
        process.stdout.write(
          opts.json
            ? JSON.stringify({ username: r.username, email: r.email, role: r.role, createdAt: new Date(r.created_at).toISOString() }) + '\n'
            : `@${r.username}\t${r.role}\t${r.email ?? '-'}\t${new Date(r.created_at).toISOString().slice(0, 10)}\n`,
        );
      }
      if (!opts.json && rows.length === 0) process.stdout.write('no accounts yet: paperpulse user create --email you@example.org --admin\n');
    },
  );
}
