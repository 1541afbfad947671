import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDays,
  daysBetween,
  isNewListing,
  isoWeek,
  parseDay,
  parseMonth,
  parseWeek,
  periodContaining,
  weeksInIsoYear,
} from '../../src/feed/periods.ts';

function ok<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) assert.fail(`expected success, got: ${r.error}`);
  return r.value;
}

function err(r: { ok: true } | { ok: false; error: string }): string {
  if (r.ok) assert.fail('expected an error');
  return r.error;
}

describe('ISO weeks', () => {
  it('numbers weeks as ISO 8601 does, across year boundaries', () => {
    assert.deepEqual(isoWeek('2025-07-02'), { year: 2025, week: 27 });
    assert.deepEqual(isoWeek('2024-12-30'), { year: 2025, week: 1 }); // Monday of 2025-W01
    assert.deepEqual(isoWeek('2021-01-03'), { year: 2020, week: 53 }); // Sunday, still 2020's last week
    assert.deepEqual(isoWeek('2021-01-04'), { year: 2021, week: 1 });
    assert.deepEqual(isoWeek('2026-12-31'), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek('2027-01-01'), { year: 2026, week: 53 });
  });

  it('knows which years have 53 weeks', () => {
    assert.equal(weeksInIsoYear(2020), 53); // leap year starting on Wednesday
    assert.equal(weeksInIsoYear(2026), 53); // starts on Thursday
    assert.equal(weeksInIsoYear(2025), 52);
    assert.equal(weeksInIsoYear(2024), 52);
  });

  it('parses YYYY-Www into Monday..Sunday', () => {
    assert.deepEqual(ok(parseWeek('2025-W27')), { kind: 'week', key: '2025-W27', start: '2025-06-30', end: '2025-07-06' });
    assert.deepEqual(ok(parseWeek('2025-W01')), { kind: 'week', key: '2025-W01', start: '2024-12-30', end: '2025-01-05' });
    assert.deepEqual(ok(parseWeek('2020-W53')), { kind: 'week', key: '2020-W53', start: '2020-12-28', end: '2021-01-03' });
  });

  it('rejects weeks that do not exist, saying how many the year has', () => {
    assert.match(err(parseWeek('2025-W60')), /2025 has ISO weeks W01 to W52/);
    assert.match(err(parseWeek('2025-W53')), /W52/);
    assert.match(err(parseWeek('2025-W00')), /not a week/);
    assert.match(err(parseWeek('2025-27')), /YYYY-Www/);
    assert.match(err(parseWeek('2025-w27')), /YYYY-Www/);
  });
});

describe('days', () => {
  it('parses real calendar dates only', () => {
    assert.deepEqual(ok(parseDay('2025-07-02')), { kind: 'day', key: '2025-07-02', start: '2025-07-02', end: '2025-07-02' });
    assert.ok(parseDay('2024-02-29').ok);
    assert.match(err(parseDay('2025-02-29')), /February 2025 has days 01 to 28/);
    assert.match(err(parseDay('2025-13-40')), /no month 13/);
    assert.match(err(parseDay('2025-04-31')), /April 2025 has days 01 to 30/);
    assert.match(err(parseDay('2025-7-2')), /YYYY-MM-DD/);
    assert.match(err(parseDay('yesterday')), /“yesterday” is not a date/);
    assert.match(err(parseDay('0000-01-01')), /years run from 1900 to 2999/);
    assert.match(err(parseWeek('9999-W52')), /years run from/);
  });

  it('shortens very long input in messages', () => {
    const e = err(parseDay('x'.repeat(500)));
    assert.ok(e.length < 200, e);
  });

  it('does day arithmetic in UTC, across months, years and leap days', () => {
    assert.equal(addDays('2025-07-31', 1), '2025-08-01');
    assert.equal(addDays('2025-01-01', -1), '2024-12-31');
    assert.equal(addDays('2024-02-28', 1), '2024-02-29');
    assert.equal(addDays('2025-03-30', 1), '2025-03-31'); // a DST change in Europe: no effect
    assert.equal(daysBetween('2025-06-30', '2025-07-06'), 6);
  });
});

describe('months', () => {
  it('parses YYYY-MM into its first and last day', () => {
    assert.deepEqual(ok(parseMonth('2025-07')), { kind: 'month', key: '2025-07', start: '2025-07-01', end: '2025-07-31' });
    assert.equal(ok(parseMonth('2024-02')).end, '2024-02-29');
    assert.equal(ok(parseMonth('2025-02')).end, '2025-02-28');
    assert.match(err(parseMonth('2025-00')), /months run from 01 to 12/);
    assert.match(err(parseMonth('2025-13')), /months run from 01 to 12/);
    assert.match(err(parseMonth('July')), /YYYY-MM/);
  });
});

describe('periods around a day', () => {
  it('finds the week and month that contain a day', () => {
    assert.equal(periodContaining('week', '2025-07-06').key, '2025-W27');
    assert.equal(periodContaining('week', '2025-07-07').key, '2025-W28');
    assert.equal(periodContaining('week', '2021-01-01').key, '2020-W53');
    assert.equal(periodContaining('month', '2025-07-31').key, '2025-07');
    assert.equal(periodContaining('day', '2025-07-31').key, '2025-07-31');
  });
});

describe('isNewListing', () => {
  it('counts today and yesterday (UTC) as new', () => {
    const now = new Date('2025-07-03T22:00:00Z');
    assert.equal(isNewListing('2025-07-03', now), true);
    assert.equal(isNewListing('2025-07-02', now), true);
    assert.equal(isNewListing('2025-07-01', now), false);
    // Just after midnight UTC the day before yesterday is no longer new.
    assert.equal(isNewListing('2025-07-02', new Date('2025-07-04T00:00:01Z')), false);
  });
});
