// JSON Schemas of the Hugging Face papers API shapes built in hf-shape.ts. The routes serialize through
// them (so every field must be listed here) and OpenAPI documents them. Field names and nesting follow
// ../shared/docs/hf-papers-api.md: what the `huggingface_hub` client reads, where it reads it.

const str = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export const hfUserSchema = {
  $id: 'HfUser',
  type: 'object',
  description: 'Who put the paper on the daily list. arXiv\'s own listing is the pseudo-user "arxiv".',
  required: ['_id', 'user', 'name', 'fullname', 'avatarUrl', 'type', 'isPro'],
  properties: {
    _id: str,
    user: { type: 'string', description: 'Username (the client reads this key)' },
    name: { type: 'string', description: 'Username again, as the real 2024 responses carry it' },
    fullname: str,
    avatarUrl: str,
    type: { type: 'string', enum: ['user'] },
    isPro: { type: 'boolean' },
  },
} as const;

export const hfOrganizationSchema = {
  $id: 'HfOrganization',
  type: 'object',
  required: ['name', 'fullname', 'avatarUrl'],
  properties: { name: str, fullname: str, avatarUrl: str },
} as const;

const hfAuthor = {
  type: 'object',
  required: ['_id', 'name', 'hidden'],
  properties: { _id: str, name: str, hidden: { type: 'boolean' } },
} as const;

/** Fields of the nested `paper` object, which GET /api/papers/{id} also returns flat. */
const paperProperties = {
  id: { type: 'string', description: 'arXiv identifier without version', examples: ['2407.21783'] },
  authors: { type: 'array', items: hfAuthor },
  publishedAt: { ...dateTime, description: 'arXiv publication time (version 1)' },
  submittedOnDailyAt: { ...dateTime, description: 'When the paper went onto the daily list' },
  title: str,
  summary: { type: 'string', description: 'The abstract' },
  upvotes: { type: 'integer', minimum: 0 },
  discussionId: str,
  githubRepo: str,
  projectPage: str,
  organization: { $ref: 'HfOrganization#' },
  submittedOnDailyBy: { $ref: 'HfUser#' },
} as const;

const paperRequired = ['id', 'authors', 'publishedAt', 'submittedOnDailyAt', 'title', 'summary', 'upvotes', 'discussionId'];

export const hfPaperSchema = {
  $id: 'HfPaper',
  type: 'object',
  description: 'The arXiv-level data of a daily-list item (the client reads id, authors, publishedAt, summary, upvotes, discussionId here)',
  required: paperRequired,
  properties: paperProperties,
} as const;

export const hfDailyItemSchema = {
  $id: 'HfDailyItem',
  type: 'object',
  description:
    'One element of GET /api/daily_papers and /api/papers/search. Top-level publishedAt is when the paper went onto the daily list; fields the client reads only at the top level (title, numComments, submittedBy, githubRepo, projectPage, organization) are there.',
  required: ['paper', 'publishedAt', 'submittedOnDailyAt', 'title', 'summary', 'thumbnail', 'numComments', 'submittedBy', 'upvotes', 'isAuthorParticipating'],
  properties: {
    paper: { $ref: 'HfPaper#' },
    publishedAt: { ...dateTime, description: 'When the paper went onto the daily list' },
    submittedOnDailyAt: dateTime,
    title: str,
    summary: str,
    thumbnail: str,
    numComments: { type: 'integer', minimum: 0 },
    submittedBy: { $ref: 'HfUser#' },
    upvotes: { type: 'integer', minimum: 0 },
    isAuthorParticipating: { type: 'boolean' },
    githubRepo: str,
    projectPage: str,
    organization: { $ref: 'HfOrganization#' },
  },
} as const;

export const hfPaperInfoSchema = {
  $id: 'HfPaperInfo',
  type: 'object',
  description: 'GET /api/papers/{id}: one flat object; publishedAt is the arXiv publication time.',
  required: [...paperRequired, 'numComments', 'submittedBy', 'linkedModels', 'numTotalModels', 'linkedDatasets', 'numTotalDatasets', 'linkedSpaces'],
  properties: {
    ...paperProperties,
    numComments: { type: 'integer', minimum: 0 },
    submittedBy: { $ref: 'HfUser#' },
    linkedModels: { type: 'array', items: {}, description: 'Always empty: paperpulse hosts no models' },
    numTotalModels: { type: 'integer' },
    linkedDatasets: { type: 'array', items: {}, description: 'Always empty' },
    numTotalDatasets: { type: 'integer' },
    linkedSpaces: { type: 'array', items: {}, description: 'Always empty' },
  },
} as const;

export const HF_SCHEMAS = [hfUserSchema, hfOrganizationSchema, hfPaperSchema, hfDailyItemSchema, hfPaperInfoSchema];
