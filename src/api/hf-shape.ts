// The JSON shapes of the Hugging Face papers API, as its official Python client reads them, built from
// paperpulse papers. Pure: no I/O. An explicit mapping, never a raw row.
//
// The client reads arXiv-level fields from a nested `paper` object (falling back to the top level) and
// list-level fields (title, numComments, submittedBy, githubRepo, projectPage, organization) from the top
// level only. Fields that third-party clients look for inside `paper` are set in both places.
import type { Paper } from '../papers/paper.ts';

export interface HfAuthor {
  _id: string;
  name: string;
  hidden: boolean;
}

export interface HfUser {
  _id: string;
  user: string;
  name: string;
  fullname: string;
  avatarUrl: string;
  type: 'user';
  isPro: boolean;
}

export interface HfOrganization {
  name: string;
  fullname: string;
  avatarUrl: string;
}

export interface HfPaperObject {
  id: string;
  authors: HfAuthor[];
  publishedAt: string;
  submittedOnDailyAt: string;
  title: string;
  summary: string;
  upvotes: number;
  discussionId: string;
  githubRepo?: string;
  projectPage?: string;
  organization?: HfOrganization;
  submittedOnDailyBy?: HfUser;
}

export interface HfDailyItem {
  paper: HfPaperObject;
  publishedAt: string;
  submittedOnDailyAt: string;
  title: string;
  summary: string;
  thumbnail: string;
  numComments: number;
  submittedBy: HfUser;
  upvotes: number;
  isAuthorParticipating: boolean;
  githubRepo?: string;
  projectPage?: string;
  organization?: HfOrganization;
}

/** Who put a paper on the daily list; arXiv's own listing is attributed to this pseudo-user. */
export interface Submitter {
  username: string;
  displayName: string;
}

export const ARXIV_SUBMITTER: Submitter = { username: 'arxiv', displayName: 'arXiv daily listing' };

/** The time a paper went onto a day's list: the listing day at arXiv's announcement (00:00 UTC next day ~ 20:00 ET). */
export function listedAt(firstListed: string): string {
  return `${firstListed}T00:00:00.000Z`;
}

function user(s: Submitter): HfUser {
  return {
    _id: `user:${s.username}`,
    user: s.username,
    name: s.username,
    fullname: s.displayName,
    avatarUrl: '',
    type: 'user',
    isPro: false,
  };
}

function organization(name: string | null): HfOrganization | undefined {
  if (!name) return undefined;
  return { name: name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''), fullname: name, avatarUrl: '' };
}

function authors(p: Paper): HfAuthor[] {
  return p.authors.map((name, i) => ({ _id: `${p.id}#${i}`, name, hidden: false }));
}

function optional<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export interface EntryInfo {
  /** The day the paper is listed on (defaults to the paper's first_listed). */
  day?: string;
  submittedAt?: string;
  submitter?: Submitter;
}

/** The nested `paper` object (also the body of GET /api/papers/{id}, with title and list fields added). */
export function hfPaperObject(p: Paper, entry: EntryInfo = {}): HfPaperObject {
  const submittedAt = entry.submittedAt ?? listedAt(entry.day ?? p.firstListed);
  return optional({
    id: p.id,
    authors: authors(p),
    publishedAt: p.publishedAt ?? listedAt(p.firstListed),
    submittedOnDailyAt: submittedAt,
    title: p.title,
    summary: p.abstract,
    upvotes: p.upvotes,
    discussionId: p.id,
    githubRepo: p.githubRepo ?? undefined,
    projectPage: p.projectPage ?? undefined,
    organization: organization(p.organization),
    submittedOnDailyBy: user(entry.submitter ?? ARXIV_SUBMITTER),
  });
}

/** One element of GET /api/daily_papers (and of /api/papers/search). */
export function hfDailyItem(p: Paper, entry: EntryInfo = {}): HfDailyItem {
  const paper = hfPaperObject(p, entry);
  return optional({
    paper,
    publishedAt: paper.submittedOnDailyAt,
    submittedOnDailyAt: paper.submittedOnDailyAt,
    title: p.title,
    summary: p.abstract,
    thumbnail: '',
    numComments: p.numComments,
    submittedBy: user(entry.submitter ?? ARXIV_SUBMITTER),
    upvotes: p.upvotes,
    isAuthorParticipating: false,
    githubRepo: paper.githubRepo,
    projectPage: paper.projectPage,
    organization: paper.organization,
  });
}

/** GET /api/papers/{id}: one flat object; `publishedAt` is the arXiv publication time. */
export function hfPaperInfo(p: Paper, entry: EntryInfo = {}) {
  const paper = hfPaperObject(p, entry);
  return optional({
    ...paper,
    numComments: p.numComments,
    submittedBy: paper.submittedOnDailyBy,
    linkedModels: [] as unknown[],
    numTotalModels: 0,
    linkedDatasets: [] as unknown[],
    numTotalDatasets: 0,
    linkedSpaces: [] as unknown[],
  });
}
