// A local stand-in for an OpenAI-compatible /v1/embeddings endpoint (Ollama, TEI, vLLM...). Its vectors are
// bags of hashed words (so texts sharing words are close), and a test can make it fail on purpose: answer 429 or
// 500 a number of times, send bad JSON, vectors of the wrong dimension, or hang.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'none' | '429' | '500' | 'bad-json' | 'no-data' | 'wrong-dim' | 'hang' | 'count';

export function bagOfWords(text: string, dim: number): number[] {
  const v = new Array(dim).fill(0);
  for (const w of text.toLowerCase().split(/[^a-z0-9]+/).filter((x) => x.length > 2)) {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
    v[h % dim] += 1;
    v[(h >>> 8) % dim] += 0.5;
  }
  return v;
}

export class FakeEmbeddings {
  server: Server;
  url = '';
  dim: number;
  /** Faults to play, one per request, before answering normally. */
  faults: Fault[] = [];
  /** Every request's body and authorization header. */
  requests: { model: string; input: string[]; authorization: string | undefined }[] = [];
  /** Required bearer token (401 otherwise), when set. */
  apiKey: string | null = null;
  private hanging: ServerResponse[] = [];

  constructor(dim = 64) {
    this.dim = dim;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    // Never the reason a test process stays alive after a failure skipped close().
    this.server.unref();
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let body = '';
    for await (const c of req) body += c;
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const json = JSON.parse(body) as { model: string; input: string[] };
    this.requests.push({ model: json.model, input: json.input, authorization: req.headers.authorization });
    if (this.apiKey && req.headers.authorization !== `Bearer ${this.apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"invalid api key"}}');
      return;
    }
    const fault = this.faults.shift() ?? 'none';
    if (fault === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (fault === '429') {
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      return;
    }
    if (fault === '500') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('model crashed');
      return;
    }
    if (fault === 'bad-json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>proxy error</html>');
      return;
    }
    if (fault === 'no-data') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"embeddings":[]}');
      return;
    }
    const dim = fault === 'wrong-dim' ? this.dim + 1 : this.dim;
    const items = json.input.map((t, index) => ({ object: 'embedding', index, embedding: bagOfWords(t, dim) }));
    if (fault === 'count') items.pop();
    // Out of order on purpose: clients must sort by index.
    items.reverse();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', model: json.model, data: items, usage: { prompt_tokens: 0, total_tokens: 0 } }));
  }
}
