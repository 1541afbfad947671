// Which papers a digest covers. Daily: one listing day (arXiv announces Sunday to Thursday, so daily
// digests follow announcement days). Weekly: an ISO week of listing days (Monday to Sunday; papers are
// listed Monday to Friday). Pure.
import { DateTime } from 'luxon';
import { periodContaining } from '../feed/periods.ts';
import { ARXIV_ZONE, lastAnnouncement } from '../papers/listing.ts';
import type { Frequency } from '../subscriptions/subscription.ts';

export interface DigestPeriod {
  frequency: Frequency;
  /** Part of the idempotency key: '2025-07-02' (a listing day) or '2025-W27'. */
  key: string;
  /** Listing days covered, inclusive (YYYY-MM-DD). */
  start: string;
  end: string;
  /** As the subject line says it: 'Tue 16 Jun' or 'week of 15 Jun'. */
  label: string;
}

const LABEL = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
const SHORT = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
const asDate = (day: string) => new Date(`${day}T00:00:00Z`);

/** The digest period of a frequency that contains a listing day. */
export function digestPeriod(frequency: Frequency, day: string): DigestPeriod {
  if (frequency === 'daily') return { frequency, key: day, start: day, end: day, label: LABEL.format(asDate(day)) };
  const week = periodContaining('week', day);
  return { frequency, key: week.key, start: week.start, end: week.end, label: `week of ${SHORT.format(asDate(week.start))}` };
}

/** The listing day that the most recent announcement at or before `now` published. */
export function latestAnnouncedDay(now: Date): string {
  return DateTime.fromJSDate(lastAnnouncement(now)).setZone(ARXIV_ZONE).plus({ days: 1 }).toISODate()!;
}

/** Whether a listing day is the last one of its ISO week that arXiv publishes (Friday). */
export function endsListingWeek(day: string): boolean {
  return asDate(day).getUTCDay() === 5;
}

/** The period a digest sent at `now` covers: the latest announced day, or the week that day ends. */
export function digestPeriodAt(frequency: Frequency, now: Date): DigestPeriod {
  return digestPeriod(frequency, latestAnnouncedDay(now));
}

