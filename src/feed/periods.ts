// Periods of the daily feed: a day (YYYY-MM-DD), an ISO 8601 week (YYYY-Www, Monday to Sunday) or a
// month (YYYY-MM), as inclusive ranges of listing days. Pure: calendar arithmetic on UTC dates only,
// since a listing day is a calendar date with no time zone.

export type PeriodKind = 'day' | 'week' | 'month';

export interface Period {
  kind: PeriodKind;
  /** Canonical key as it appears in URLs: 2025-07-02, 2025-W27, 2025-07. */
  key: string;
  /** First listing day in the period (YYYY-MM-DD). */
  start: string;
  /** Last listing day in the period, inclusive. */
  end: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const DAY_MS = 86_400_000;
const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
/** Years a URL may name: well around arXiv's (it starts in 1991), and far from year 10000, which would
 * break YYYY-MM-DD keys (the last week of 9999 ends in 10000). */
const MIN_YEAR = 1900;
const MAX_YEAR = 2999;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** YYYY-MM-DD of a UTC timestamp in milliseconds. */
function fromMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function toMs(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
}

/** The UTC calendar day of an instant. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** day + n days (n may be negative). */
export function addDays(day: string, n: number): string {
  return fromMs(toMs(day) + n * DAY_MS);
}

/** Whole days from a to b (b - a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((toMs(b) - toMs(a)) / DAY_MS);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The Monday that starts ISO week 1 of an ISO week-numbering year (the week holding January 4). */
function week1Monday(isoYear: number): number {
  const jan4 = Date.UTC(isoYear, 0, 4);
  const weekday = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return jan4 - weekday * DAY_MS;
}

/** ISO 8601 week of a day: its week-numbering year (may differ from the calendar year) and week. */
export function isoWeek(day: string): { year: number; week: number } {
  const ms = toMs(day);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  // The week belongs to the year of its Thursday.
  const thursday = ms + (3 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  return { year, week: 1 + Math.floor((thursday - week1Monday(year)) / (7 * DAY_MS)) };
}

/** 52 or 53: the week of December 28 is always the last ISO week of its year. */
export function weeksInIsoYear(year: number): number {
  return isoWeek(`${year}-12-28`).week;
}

export function dayPeriod(day: string): Period {
  return { kind: 'day', key: day, start: day, end: day };
}

export function weekPeriod(year: number, week: number): Period {
  const start = fromMs(week1Monday(year) + (week - 1) * 7 * DAY_MS);
  return { kind: 'week', key: `${year}-W${pad2(week)}`, start, end: addDays(start, 6) };
}

export function monthPeriod(year: number, month: number): Period {
  const key = `${year}-${pad2(month)}`;
  return { kind: 'month', key, start: `${key}-01`, end: `${key}-${pad2(daysInMonth(year, month))}` };
}

/** The period of a kind that contains a day. */
export function periodContaining(kind: PeriodKind, day: string): Period {
  if (kind === 'day') return dayPeriod(day);
  if (kind === 'week') {
    const { year, week } = isoWeek(day);
    return weekPeriod(year, week);
  }
  return monthPeriod(Number(day.slice(0, 4)), Number(day.slice(5, 7)));
}

const shown = (s: string) => `“${s.length > 40 ? `${s.slice(0, 40)}…` : s}”`;

function yearError(input: string, year: number): string | null {
  return year < MIN_YEAR || year > MAX_YEAR ? `${shown(input)} is out of range: years run from ${MIN_YEAR} to ${MAX_YEAR}.` : null;
}

/** A day in YYYY-MM-DD form that exists in the calendar. */
export function parseDay(input: string): Parsed<Period> {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  if (!m) return { ok: false, error: `${shown(input)} is not a date: write it as YYYY-MM-DD, e.g. 2025-07-02.` };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const bad = yearError(input, year);
  if (bad) return { ok: false, error: bad };
  if (month < 1 || month > 12) {
    return { ok: false, error: `${shown(input)} is not a date: there is no month ${m[2]} (months run from 01 to 12).` };
  }
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) {
    return { ok: false, error: `${shown(input)} is not a date: ${MONTH_NAMES[month - 1]} ${year} has days 01 to ${last}.` };
  }
  return { ok: true, value: dayPeriod(input) };
}

/** An ISO 8601 week in YYYY-Www form, e.g. 2025-W27 (weeks start on Monday). */
export function parseWeek(input: string): Parsed<Period> {
  const m = /^(\d{4})-W(\d{2})$/.exec(input);
  if (!m) return { ok: false, error: `${shown(input)} is not a week: write it as YYYY-Www, e.g. 2025-W27.` };
  const [year, week] = [Number(m[1]), Number(m[2])];
  const bad = yearError(input, year);
  if (bad) return { ok: false, error: bad };
  const weeks = weeksInIsoYear(year);
  if (week < 1 || week > weeks) {
    return { ok: false, error: `${shown(input)} is not a week: ${year} has ISO weeks W01 to W${weeks}.` };
  }
  return { ok: true, value: weekPeriod(year, week) };
}

/** A month in YYYY-MM form. */
export function parseMonth(input: string): Parsed<Period> {
  const m = /^(\d{4})-(\d{2})$/.exec(input);
  if (!m) return { ok: false, error: `${shown(input)} is not a month: write it as YYYY-MM, e.g. 2025-07.` };
  const [year, month] = [Number(m[1]), Number(m[2])];
  const bad = yearError(input, year);
  if (bad) return { ok: false, error: bad };
  if (month < 1 || month > 12) {
    return { ok: false, error: `${shown(input)} is not a month: months run from 01 to 12.` };
  }
  return { ok: true, value: monthPeriod(year, month) };
}

export function parsePeriod(kind: PeriodKind, input: string): Parsed<Period> {
  return kind === 'day' ? parseDay(input) : kind === 'week' ? parseWeek(input) : parseMonth(input);
}

/** Whether a paper listed on `firstListed` counts as new at `now`: listed today or yesterday (UTC). */
export function isNewListing(firstListed: string, now: Date): boolean {
  return firstListed >= addDays(utcDay(now), -1);
}
