import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'paperpulse-config-'));

test('defaults: local address, embedded database in ./data, the four default categories', () => {
  const dir = tmp();
  const c = loadConfig({ env: { PAPERPULSE_DATA_DIR: dir } });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 3000);
  assert.equal(c.databaseUrl, null);
  assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
  assert.deepEqual(c.categories, ['cs.AI', 'cs.CL', 'cs.CV', 'cs.LG']);
  assert.equal(c.arxivIntervalMs, 3000);
});

test('a secret key is generated once, kept in the data dir with mode 600, and reused', () => {
  const dir = tmp();
  const a = loadConfig({ env: { PAPERPULSE_DATA_DIR: dir } });
  const b = loadConfig({ env: { PAPERPULSE_DATA_DIR: dir } });
  assert.equal(a.secretKey, b.secretKey);
  assert.ok(a.secretKey.length >= 32);
  assert.equal(statSync(path.join(dir, 'secret_key')).mode & 0o777, 0o600);
  assert.equal(readFileSync(path.join(dir, 'secret_key'), 'utf8').trim(), a.secretKey);
});

test('flags override the environment, and *_FILE variants read secrets from files', () => {
  const dir = tmp();
  const secretFile = path.join(dir, 'db-url');
  writeFileSync(secretFile, 'postgres://u:p@localhost/db\n');
  const c = loadConfig({ env: { PAPERPULSE_DATA_DIR: dir, PORT: '4000', DATABASE_URL_FILE: secretFile }, flags: { port: '5000' } });
  assert.equal(c.port, 5000);
  assert.equal(c.databaseUrl, 'postgres://u:p@localhost/db');
});

test('every bad value is reported, each naming its variable', () => {
  const err = (() => {
    try {
      loadConfig({
        env: {
          PAPERPULSE_DATA_DIR: tmp(), PORT: '70000', DATABASE_URL: 'mysql://x', SMTP_URL: 'not a url',
          ARXIV_REQUEST_INTERVAL: 'soon', SECRET_KEY: 'short', LOG_LEVEL: 'loud', PAPERPULSE_HARVEST: 'maybe',
        },
      });
    } catch (e) {
      return e as ConfigError;
    }
    throw new Error('expected a ConfigError');
  })();
  assert.ok(err instanceof ConfigError);
  const text = err.message;
  for (const re of [/PORT: 70000 is outside 0..65535/, /DATABASE_URL: must use postgres: or postgresql:/, /SMTP_URL: "not a url" is not a URL/,
    /ARXIV_REQUEST_INTERVAL: "soon" is not a duration/, /SECRET_KEY: must be at least 32 characters/, /LOG_LEVEL: must be one of/, /PAPERPULSE_HARVEST: "maybe" is not a boolean/]) {
    assert.match(text, re);
  }
  assert.equal(err.problems.length, 7);
});

test('describeConfig masks secrets but shows where the database is', () => {
  const c = loadConfig({ env: { PAPERPULSE_DATA_DIR: tmp(), DATABASE_URL: 'postgres://app:s3cret@db.example/papers', SMTP_URL: 'smtp://mail:pw@mx.example:587' } });
  const rows = Object.fromEntries(describeConfig(c).map((r) => [r.env, r.value]));
  assert.equal(rows.DATABASE_URL, 'postgres://app:****@db.example/papers');
  assert.equal(rows.SMTP_URL, 'smtp://mail:****@mx.example:587');
  assert.equal(rows.SECRET_KEY, '****');
});
