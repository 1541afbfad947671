// /api/docs: the OpenAPI document as a page of the site. Rendered on the server from the same document
// /api/openapi.json serves, in the site's layout: it works offline and without JavaScript, and needs no
// third-party assets (no CDN, nothing for a Content-Security-Policy to allow).
import { ERROR_CODES } from '../../errors.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { page, type Theme } from '../web/views/layout.ts';

interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  examples?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
  /** @fastify/swagger moves a parameter schema's first example here. */
  example?: unknown;
}

const exampleOf = (p: Parameter) => p.example ?? p.schema?.examples?.[0];

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  /** Who may call it (the "Your account" routes): an API token or the session cookie. */
  security?: Record<string, string[]>[];
}

interface OpenApiDoc {
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const refName = (ref: string) => ref.split('/').pop() ?? ref;

/** A schema's type in words, with links to named schemas. */
function typeOf(s: Schema | undefined): SafeHtml {
  if (!s) return html`any`;
  if (s.$ref) return html`<a href="#schema-${slug(refName(s.$ref))}">${refName(s.$ref)}</a>`;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return html`${alternatives.map((a, i) => html`${i ? ' or ' : ''}${typeOf(a)}`)}`;
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const words = types.map((t) => (t === 'array' ? html`array of ${typeOf(s.items)}` : html`${t}${s.format && t === 'string' ? ` (${s.format})` : ''}`));
  if (words.length === 0) return html`any`;
  return html`${words.map((w, i) => html`${i ? ' or ' : ''}${w}`)}`;
}

/** Constraints and defaults of a schema, in words. */
function constraints(s: Schema | undefined): string {
  if (!s) return '';
  const parts: string[] = [];
  if (s.enum) parts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (s.minimum !== undefined && s.maximum !== undefined) parts.push(`${s.minimum} to ${s.maximum}`);
  else if (s.minimum !== undefined) parts.push(`at least ${s.minimum}`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  if (s.examples?.length) parts.push(`e.g. ${s.examples.map((v) => String(v)).join(', ')}`);
  return parts.join('; ');
}

function parametersTable(method: string, path: string, params: Parameter[]): SafeHtml {
  if (params.length === 0) return html`<p>No parameters.</p>`;
  return html`<table class="api-table">
<caption class="visually-hidden">Parameters of ${method} ${path}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th></tr></thead>
<tbody>${params.map(
    (p) => html`<tr><th scope="row"><code>${p.name}</code></th><td>${p.in}</td><td>${typeOf(p.schema)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${[p.description ?? p.schema?.description, constraints(p.schema), exampleOf(p) !== undefined ? `e.g. ${String(exampleOf(p))}` : ''].filter(Boolean).join('. ')}</td></tr>`,
  )}</tbody>
</table>`;
}

function responsesList(responses: Operation['responses'] = {}): SafeHtml {
  return html`<dl class="api-responses">${Object.entries(responses).map(([status, r]) => {
    const media = Object.entries(r.content ?? {});
    return html`<div><dt>${status}</dt><dd>${r.description ?? ''}${media.length ? html` (${media.map(([type, m], i) => html`${i ? ', ' : ''}<code>${type}</code>: ${typeOf(m.schema)}`)})` : ''}</dd></div>`;
  })}</dl>`;
}

/** A curl command for the operation, with example values filled in (and a token, when it needs one). */
function curlExample(server: string, path: string, params: Parameter[], method = 'GET', op: Operation = {}): string {
  let url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const p = params.find((x) => x.in === 'path' && x.name === name);
    return encodeURIComponent(String((p && exampleOf(p)) ?? name)).replace(/%2F/gi, '/');
  });
  const query = params
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${p.name}=${encodeURIComponent(String(exampleOf(p) ?? p.name))}`);
  if (query.length) url += `?${query.join('&')}`;
  const options = [method === 'GET' ? '' : ` -X ${method}`, op.security?.length ? " -H 'Authorization: Bearer <your token>'" : ''].join('');
  return `curl -s${options} '${server}${url}'`;
}

function schemaSection(name: string, s: Schema): SafeHtml {
  const props = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  return html`<section class="api-schema" aria-labelledby="schema-${slug(name)}">
<h3 id="schema-${slug(name)}">${name}</h3>
${s.description ? html`<p>${s.description}</p>` : ''}
${props.length
  ? html`<table class="api-table">
<caption class="visually-hidden">Fields of ${name}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Always present</th><th scope="col">Description</th></tr></thead>
<tbody>${props.map(
      ([field, p]) => html`<tr><th scope="row"><code>${field}</code></th><td>${typeOf(p)}</td><td>${required.has(field) ? 'yes' : 'no'}</td><td>${[p.description, constraints(p)].filter(Boolean).join('. ')}</td></tr>`,
    )}</tbody>
</table>`
  : ''}
</section>`;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

export function renderDocsPage(docObject: unknown, theme: Theme | null): string {
  const doc = docObject as OpenApiDoc;
  const server = doc.servers?.[0]?.url ?? '';
  const ops: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      // HEAD mirrors GET: listed once.
      if (method !== 'head' && item[method]) ops.push({ method: method.toUpperCase(), path, op: item[method] });
    }
  }
  const tags = (doc.tags ?? []).filter((t) => ops.some((o) => o.op.tags?.includes(t.name)));
  const body = html`<div class="page-head">
<h1><span class="kicker">Reference</span> ${doc.info.title}</h1>
<p class="page-summary">Version ${doc.info.version}. The machine-readable document is <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
</div>
<p>${doc.info.description ?? ''}</p>
<nav aria-label="API sections"><ul>
${tags.map((t) => html`<li><a href="#tag-${slug(t.name)}">${t.name}</a></li>`)}
<li><a href="#errors">Errors</a></li>
<li><a href="#schemas">Schemas</a></li>
</ul></nav>
${tags.map(
  (t) => html`<section class="api-tag" aria-labelledby="tag-${slug(t.name)}">
<h2 id="tag-${slug(t.name)}">${t.name}</h2>
${t.description ? html`<p>${t.description}</p>` : ''}
${ops
  .filter((o) => o.op.tags?.includes(t.name))
  .map(({ method, path, op }) => {
    const params = op.parameters ?? [];
    return html`<article class="api-op" aria-labelledby="op-${slug(`${method} ${path}`)}">
<h3 id="op-${slug(`${method} ${path}`)}"><code>${method} ${path}</code></h3>
${op.summary ? html`<p><strong>${op.summary}.</strong> ${op.description ?? ''}</p>` : ''}
${parametersTable(method, path, params)}
<h4>Responses</h4>
${responsesList(op.responses)}
<pre><code>${curlExample(server, path, params, method, op)}</code></pre>
</article>`;
  })}
</section>`,
)}
<section aria-labelledby="errors">
<h2 id="errors">Errors</h2>
<p>Every error is <code>{"error": {"code", "message", "parameter"?}}</code>.</p>
<table class="api-table">
<caption class="visually-hidden">Error codes</caption>
<thead><tr><th scope="col">Code</th><th scope="col">HTTP status</th><th scope="col">When</th></tr></thead>
<tbody>${Object.entries(ERROR_CODES).map(([code, spec]) => html`<tr><th scope="row"><code>${code}</code></th><td>${spec.status}</td><td>${spec.summary}</td></tr>`)}</tbody>
</table>
</section>
<section aria-labelledby="schemas">
<h2 id="schemas">Schemas</h2>
${Object.entries(doc.components?.schemas ?? {}).map(([name, s]) => schemaSection(name, s))}
</section>`;
  return page({ title: 'API reference', description: 'The paperpulse API: endpoints, parameters and response fields.', theme, body });
}
