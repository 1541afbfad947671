import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { announcementFor, currentListingDay, lastAnnouncement, listingDayFor, nextAnnouncement } from '../../src/papers/listing.ts';

// Times are written in UTC; the comment gives New York time (EST = UTC-5 until 2025-03-09, EDT = UTC-4 after).
describe('listingDayFor', () => {
  it('lists a weekday submission before 14:00 ET the next day', () => {
    assert.equal(listingDayFor('2025-03-03T15:00:00Z'), '2025-03-04'); // Mon 10:00 EST -> Tue
    assert.equal(listingDayFor('2025-03-05T18:59:59Z'), '2025-03-06'); // Wed 13:59:59 -> Thu
    assert.equal(listingDayFor('2025-03-03T10:00:00-05:00'), '2025-03-04'); // offsets are honoured
  });

  it('lists a submission from 14:00 ET on a day later', () => {
    assert.equal(listingDayFor('2025-03-05T19:00:00Z'), '2025-03-07'); // Wed 14:00:00 -> Fri
    assert.equal(listingDayFor('2025-03-04T20:00:00Z'), '2025-03-06'); // Tue 15:00 -> Thu
  });

  it('carries Thursday-afternoon and Friday-morning submissions to Monday', () => {
    assert.equal(listingDayFor('2025-03-06T20:00:00Z'), '2025-03-10'); // Thu 15:00 -> Mon
    assert.equal(listingDayFor('2025-03-07T15:00:00Z'), '2025-03-10'); // Fri 10:00 -> Mon
  });

  it('carries Friday-afternoon and weekend submissions to Tuesday', () => {
    assert.equal(listingDayFor('2025-03-07T20:00:00Z'), '2025-03-11'); // Fri 15:00 -> Tue
    assert.equal(listingDayFor('2025-03-08T12:00:00Z'), '2025-03-11'); // Sat -> Tue
    assert.equal(listingDayFor('2025-03-09T23:00:00Z'), '2025-03-11'); // Sun 19:00 EDT -> Tue
  });

  it('uses the New York clock across daylight-saving changes', () => {
    // 18:30 UTC is 13:30 EST (before the cut-off) but 14:30 EDT (after it).
    assert.equal(listingDayFor('2025-03-03T18:30:00Z'), '2025-03-04'); // Mon, EST -> Tue
    assert.equal(listingDayFor('2025-03-10T18:30:00Z'), '2025-03-12'); // Mon, EDT -> Wed
    assert.equal(listingDayFor('2025-10-27T18:30:00Z'), '2025-10-29'); // Mon, EDT -> Wed
    assert.equal(listingDayFor('2025-11-03T18:30:00Z'), '2025-11-04'); // Mon, EST -> Tue
  });

  it('reads a date without a time as that day in New York', () => {
    assert.equal(listingDayFor('2025-03-03'), '2025-03-04'); // Mon -> Tue
    assert.equal(listingDayFor('2025-03-08'), '2025-03-11'); // Sat -> Tue
  });

  it('crosses month and year ends', () => {
    assert.equal(listingDayFor('2025-12-31T20:00:00Z'), '2026-01-02'); // Wed 15:00 -> Fri (holidays not modelled)
    assert.equal(listingDayFor('2025-02-28T20:00:00Z'), '2025-03-04'); // Fri 15:00 -> Tue
  });
});

describe('announcement instants', () => {
  it('finds the next announcement, skipping Friday and Saturday evenings', () => {
    assert.equal(nextAnnouncement(new Date('2025-03-05T02:00:00Z')).toISOString(), '2025-03-06T01:00:00.000Z'); // Tue 21:00 -> Wed 20:00 EST
    assert.equal(nextAnnouncement(new Date('2025-03-08T02:00:00Z')).toISOString(), '2025-03-10T00:00:00.000Z'); // Fri 21:00 -> Sun 20:00 EDT
    assert.equal(nextAnnouncement(new Date('2025-03-04T15:00:00Z')).toISOString(), '2025-03-05T01:00:00.000Z'); // Tue 10:00 -> Tue 20:00
  });

  it('finds the last announcement, at or before now', () => {
    assert.equal(lastAnnouncement(new Date('2025-03-08T17:00:00Z')).toISOString(), '2025-03-07T01:00:00.000Z'); // Sat -> Thu 20:00
    assert.equal(lastAnnouncement(new Date('2025-03-05T01:00:00Z')).toISOString(), '2025-03-05T01:00:00.000Z'); // exactly Tue 20:00
  });
});

describe('currentListingDay (the list submissions go onto)', () => {
  it('is the list of the last announcement: the next day in New York', () => {
    assert.equal(currentListingDay(new Date('2025-03-05T00:59:59Z')), '2025-03-04'); // Tue 19:59 EST -> Tuesday's list
    assert.equal(currentListingDay(new Date('2025-03-05T01:00:00Z')), '2025-03-05'); // Tue 20:00 EST -> Wednesday's
    assert.equal(currentListingDay(new Date('2025-07-03T12:00:00Z')), '2025-07-03'); // Thu 08:00 EDT -> Thursday's
  });

  it('stays on Friday\'s list from Thursday evening until Sunday evening', () => {
    assert.equal(currentListingDay(new Date('2025-03-07T02:00:00Z')), '2025-03-07'); // Thu 21:00 EST
    assert.equal(currentListingDay(new Date('2025-03-08T17:00:00Z')), '2025-03-07'); // Sat
    assert.equal(currentListingDay(new Date('2025-03-09T23:59:00Z')), '2025-03-07'); // Sun 19:59 EDT
    assert.equal(currentListingDay(new Date('2025-03-10T00:00:00Z')), '2025-03-10'); // Sun 20:00 EDT -> Monday's
  });

  it('agrees with listingDayFor: a paper announced last lands on the current list', () => {
    for (const iso of ['2025-03-03T15:00:00Z', '2025-03-06T20:00:00Z', '2025-03-07T20:00:00Z', '2025-12-31T20:00:00Z']) {
      const day = listingDayFor(iso);
      // Just after that list's announcement (the evening before it, 20:00 New York), it is the current list.
      const justAfter = new Date(announcementFor(iso).toMillis() + 60_000);
      assert.equal(currentListingDay(justAfter), day, iso);
    }
  });
});
