// The error registry: every code has a client-error or server-error status, every code is documented in
// docs/api.md with that status (and the doc names no code that does not exist), and thrown values map
// onto the registry.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AppError, ERROR_CODES, errorBody, invalidParameter, isErrorCode, toAppError } from '../../src/errors.ts';
import { PaperNotFoundError, UserNotFoundError } from '../../src/feed/votes.service.ts';
import { projectRoot } from '../helpers/shared.ts';

/** Rows of the error table in docs/api.md: | `CODE` | status | when |. */
function documentedCodes(): Map<string, number> {
  const doc = readFileSync(path.join(projectRoot, 'docs/api.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1], Number(m[2]));
  return rows;
}

test('every error code is documented in docs/api.md with its HTTP status', () => {
  const documented = documentedCodes();
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.ok(documented.has(code), `${code} is missing from the error table in docs/api.md`);
    assert.equal(documented.get(code), spec.status, `${code}: docs/api.md says ${documented.get(code)}, the registry ${spec.status}`);
  }
  for (const code of documented.keys()) assert.ok(isErrorCode(code), `docs/api.md documents ${code}, which the registry does not have`);
});

test('every code maps to a 4xx or 5xx status and has a summary', () => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[A-Z][A-Z_]+$/);
    assert.ok(spec.status >= 400 && spec.status <= 599, `${code}: ${spec.status}`);
    assert.ok(spec.summary.length > 10, code);
  }
});

test('an AppError carries its status; the body has the one error shape', () => {
  const err = invalidParameter('limit', 'Invalid parameter limit: must be <= 100.');
  assert.equal(err.status, 400);
  assert.deepEqual(errorBody(err), {
    error: { code: 'INVALID_PARAMETER', message: 'Invalid parameter limit: must be <= 100.', parameter: 'limit' },
  });
  assert.deepEqual(errorBody(new AppError('PAPER_NOT_FOUND', 'No paper 1234.56789 here.')), {
    error: { code: 'PAPER_NOT_FOUND', message: 'No paper 1234.56789 here.' },
  });
});

test('domain errors with a registered code keep it; anything else is an INTERNAL_ERROR that hides its details', () => {
  const paper = toAppError(new PaperNotFoundError('2501.00001'));
  assert.equal(paper.code, 'PAPER_NOT_FOUND');
  assert.equal(paper.status, 404);
  assert.match(paper.message, /2501\.00001/);
  assert.equal(toAppError(new UserNotFoundError(7)).status, 404);
  const internal = toAppError(new Error('connection refused at 10.0.0.3:5432 password=secret'));
  assert.equal(internal.code, 'INTERNAL_ERROR');
  assert.equal(internal.status, 500);
  assert.ok(!internal.message.includes('secret') && !internal.message.includes('10.0.0.3'));
  const unknownCode = Object.assign(new Error('x'), { code: 'ECONNRESET' });
  assert.equal(toAppError(unknownCode).code, 'INTERNAL_ERROR');
  const same = new AppError('NOT_FOUND', 'gone');
  assert.equal(toAppError(same), same);
});
