// The subscription as a domain type, and the pure rules for what a subscriber may choose.
import { cleanText } from '../papers/paper.ts';

export type SubscriptionStatus = 'pending' | 'confirmed' | 'paused' | 'unsubscribed' | 'bouncing';
export type Frequency = 'daily' | 'weekly';

export interface Preferences {
  frequency: Frequency;
  /** Papers per digest. */
  paperCount: number;
  /** arXiv categories a paper must have one of; empty: every category. */
  categories: string[];
  /** Words or phrases a paper must mention one of (title or abstract); empty: no filter. */
  keywords: string[];
}

export interface Subscription extends Preferences {
  id: number;
  email: string;
  status: SubscriptionStatus;
  tokenVersion: number;
  createdAt: Date;
  confirmedAt: Date | null;
  permanentFailures: number;
}

export const DEFAULT_PAPER_COUNT = 10;
export const MAX_PAPER_COUNT = 50;
export const MAX_KEYWORDS = 20;
export const MAX_KEYWORD_LENGTH = 100;
export const MAX_CATEGORIES = 100;
/** An address that does not confirm within this many days is forgotten. */
export const PENDING_TTL_DAYS = 7;
/** Consecutive permanent delivery failures after which paperpulse stops mailing an address. */
export const MAX_PERMANENT_FAILURES = 3;
/** Signed links in messages: the confirmation link lives as long as the pending address. */
export const CONFIRM_LINK_DAYS = PENDING_TTL_DAYS;
/** Preference and unsubscribe links in digests: long enough that an old digest still works. */
export const MANAGE_LINK_DAYS = 400;

export const DEFAULT_PREFERENCES: Preferences = { frequency: 'daily', paperCount: DEFAULT_PAPER_COUNT, categories: [], keywords: [] };

const CATEGORY_RE = /^[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?$/;

export type PreferenceErrors = Partial<Record<keyof Preferences, string>>;

/** Keywords as typed: separated by commas or line breaks, cleaned, de-duplicated (case-insensitively). */
export function parseKeywords(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[,\n\r]+/)) {
    const k = cleanText(part).replace(/^["'\s]+|["'\s]+$/g, '');
    if (!k || seen.has(k.toLowerCase())) continue;
    seen.add(k.toLowerCase());
    out.push(k);
  }
  return out;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null || v === '' ? [] : [String(v)]);

/**
 * Preferences from a submitted form (fields: frequency, count, categories (repeated), keywords).
 * Every problem is reported against its field, in words a person can act on.
 */
export function parsePreferences(form: Record<string, unknown>): { ok: true; value: Preferences } | { ok: false; errors: PreferenceErrors } {
  const errors: PreferenceErrors = {};
  const frequency = String(form.frequency ?? '');
  if (frequency !== 'daily' && frequency !== 'weekly') errors.frequency = 'Choose daily or weekly.';
  const countText = String(form.count ?? '').trim();
  const paperCount = Number(countText);
  if (!/^\d{1,3}$/.test(countText) || paperCount < 1 || paperCount > MAX_PAPER_COUNT) {
    errors.paperCount = `The number of papers must be a whole number from 1 to ${MAX_PAPER_COUNT}.`;
  }
  const categories = [...new Set(asList(form.categories).map((c) => c.trim()).filter(Boolean))];
  const badCategories = categories.filter((c) => c.length > 40 || !CATEGORY_RE.test(c));
  if (badCategories.length) errors.categories = `Not arXiv categories: ${badCategories.slice(0, 5).map((c) => c.slice(0, 40)).join(', ')}.`;
  else if (categories.length > MAX_CATEGORIES) errors.categories = `Choose at most ${MAX_CATEGORIES} categories.`;
  const keywordText = String(form.keywords ?? '');
  const keywords = parseKeywords(keywordText.slice(0, 10_000));
  if (keywordText.length > 5_000) errors.keywords = 'The keywords are too long: at most 5,000 characters in all.';
  else if (keywords.length > MAX_KEYWORDS) errors.keywords = `Give at most ${MAX_KEYWORDS} keywords or phrases.`;
  else if (keywords.some((k) => k.length > MAX_KEYWORD_LENGTH)) errors.keywords = `Each keyword or phrase can be at most ${MAX_KEYWORD_LENGTH} characters.`;
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { frequency: frequency as Frequency, paperCount, categories, keywords } };
}

/** Whether digests go to this subscription. */
export const receivesDigests = (s: Pick<Subscription, 'status'>) => s.status === 'confirmed';
