// arXiv's announcement calendar, as pure functions of a clock.
// Submissions received before 14:00 US Eastern on a weekday are announced at 20:00 Eastern the same
// day (Sunday to Thursday); the listing carries the next day's date. So:
//   Mon 14:00 .. Tue 14:00  -> announced Tue 20:00 -> listed Wednesday
//   Thu 14:00 .. Fri 14:00  -> announced Sun 20:00 -> listed Monday
//   Fri 14:00 .. Mon 14:00  -> announced Mon 20:00 -> listed Tuesday
// Holidays are not modelled: a paper submitted before one is at most a day or two off.
import { DateTime } from 'luxon';

export const ARXIV_ZONE = 'America/New_York';
/** Submission cut-off, hour of day in US Eastern time. */
export const CUTOFF_HOUR = 14;
/** Announcement time, hour of day in US Eastern time. */
export const ANNOUNCE_HOUR = 20;
/** Luxon weekdays (1 = Monday ... 7 = Sunday) on which arXiv announces. */
export const ANNOUNCE_WEEKDAYS = [7, 1, 2, 3, 4];

/** The cut-off a submission falls under: the first weekday 14:00 ET at or after it. */
function cutoffFor(submitted: DateTime): DateTime {
  let day = submitted.setZone(ARXIV_ZONE).startOf('day');
  if (submitted.setZone(ARXIV_ZONE).hour >= CUTOFF_HOUR) day = day.plus({ days: 1 });
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day.set({ hour: CUTOFF_HOUR });
}

/** The announcement instant for a submission: 20:00 ET after its cut-off (Fri cut-off -> Sunday). */
export function announcementFor(submittedIso: string): DateTime {
  const cutoff = cutoffFor(DateTime.fromISO(submittedIso, { zone: 'utc' }));
  let day = cutoff.startOf('day');
  if (day.weekday === 5) day = day.plus({ days: 2 }); // Friday's cut-off is announced on Sunday
  return day.set({ hour: ANNOUNCE_HOUR });
}

/** The listing day (YYYY-MM-DD) on which a paper first submitted at `submittedIso` appears. */
export function listingDayFor(submittedIso: string): string {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(submittedIso) ? `${submittedIso}T00:00:00-05:00` : submittedIso;
  return announcementFor(d).plus({ days: 1 }).toISODate()!;
}

/** The next announcement instant strictly after `now`. */
export function nextAnnouncement(now: Date): Date {
  let t = DateTime.fromJSDate(now).setZone(ARXIV_ZONE).set({ hour: ANNOUNCE_HOUR, minute: 0, second: 0, millisecond: 0 });
  while (t.toMillis() <= now.getTime() || !ANNOUNCE_WEEKDAYS.includes(t.weekday)) t = t.plus({ days: 1 }).set({ hour: ANNOUNCE_HOUR });
  return t.toJSDate();
}

/** The most recent announcement instant at or before `now`. */
export function lastAnnouncement(now: Date): Date {
  let t = DateTime.fromJSDate(now).setZone(ARXIV_ZONE).set({ hour: ANNOUNCE_HOUR, minute: 0, second: 0, millisecond: 0 });
  while (t.toMillis() > now.getTime() || !ANNOUNCE_WEEKDAYS.includes(t.weekday)) t = t.minus({ days: 1 }).set({ hour: ANNOUNCE_HOUR });
  return t.toJSDate();
}

/**
 * The daily list that is current at `now`: the one arXiv's most recent announcement published (its
 * listing day, the day after the announcement in New York). From Thursday's announcement until Sunday's
 * that is Friday's list. Papers submitted by members go onto this list (src/submissions).
 */
export function currentListingDay(now: Date): string {
  return DateTime.fromJSDate(lastAnnouncement(now)).setZone(ARXIV_ZONE).plus({ days: 1 }).toISODate()!;
}
