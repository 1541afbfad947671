import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html, raw, safeUrl } from '../../src/http/web/html.ts';
import { bibtex, excerpt } from '../../src/http/web/format.ts';
import { escapeLike } from '../../src/feed/feed.repository.ts';
import type { Paper } from '../../src/papers/paper.ts';

describe('html``', () => {
  it('escapes the five HTML-significant characters in every interpolation', () => {
    const title = `<script>alert(1)</script> & "double" 'single'`;
    assert.equal(
      html`<h2 title="${title}">${title}</h2>`.value,
      '<h2 title="&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; &#39;single&#39;">' +
        '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; &#39;single&#39;</h2>',
    );
  });

  it('keeps an attribute value from breaking out of its quotes', () => {
    const out = html`<a href="/authors/x" title="${'"onmouseover=alert(1)'}">x</a>`.value;
    assert.ok(!out.includes('"onmouseover'), out);
    assert.ok(out.includes('&quot;onmouseover=alert(1)'));
  });

  it('leaves Unicode, including bidi controls and emoji, as it is', () => {
    const s = 'Müller \u202Eevil\u202C 論文 🧪';
    assert.equal(html`<p>${s}</p>`.value, `<p>${s}</p>`);
  });

  it('does not escape nested templates twice, and escapes strings inside arrays', () => {
    const items = ['a&b', '<i>'];
    assert.equal(
      html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`.value,
      '<ul><li>a&amp;b</li><li>&lt;i&gt;</li></ul>',
    );
    assert.equal(html`${['<b>', html`<b>`]}`.value, '&lt;b&gt;<b>');
  });

  it('renders numbers, and nothing for null, undefined and false', () => {
    assert.equal(html`${0}|${42}|${null}|${undefined}|${false}`.value, '0|42|||');
  });

  it('passes raw() through untouched, and only raw()', () => {
    assert.equal(html`${raw('<hr>')}`.value, '<hr>');
    assert.equal(html`${'<hr>'}`.value, '&lt;hr&gt;');
  });

  it('escapeHtml returns plain text unchanged', () => {
    assert.equal(escapeHtml('plain text'), 'plain text');
    assert.equal(escapeHtml(''), '');
  });
});

describe('safeUrl', () => {
  it('keeps http(s) URLs and drops every other scheme', () => {
    assert.equal(safeUrl('https://github.com/a/b'), 'https://github.com/a/b');
    assert.equal(safeUrl('javascript:alert(1)'), null);
    assert.equal(safeUrl('JaVaScRiPt:alert(1)'), null);
    assert.equal(safeUrl('data:text/html,<script>'), null);
    assert.equal(safeUrl('/relative'), null);
    assert.equal(safeUrl(null), null);
  });
});

describe('excerpt', () => {
  it('keeps short text whole', () => {
    assert.equal(excerpt('Short abstract.'), 'Short abstract.');
  });

  it('cuts long text on a word boundary and adds an ellipsis', () => {
    const text = `${'word '.repeat(100)}end`;
    const out = excerpt(text, 300);
    assert.ok(out.length <= 301, `${out.length}`);
    assert.ok(out.endsWith('word…'), out.slice(-20));
  });

  it('cuts a single overlong token where it is', () => {
    const out = excerpt('x'.repeat(500), 300);
    assert.equal(out, `${'x'.repeat(300)}…`);
  });
});

describe('escapeLike', () => {
  it('makes %, _ and backslash literal', () => {
    assert.equal(escapeLike('100%_a\\b'), '100\\%\\_a\\\\b');
  });
});

describe('bibtex', () => {
  const paper = {
    id: '2507.00001',
    title: 'Attention {Is} All You Need',
    authors: ['José Álvarez', 'Alan Turing'],
    publishedAt: '2025-07-01T10:00:00.000Z',
    firstListed: '2025-07-02',
    primaryCategory: 'cs.CL',
    doi: '10.1000/xyz',
    journalRef: null,
  } as unknown as Paper;

  it('writes an @misc entry with an ASCII key, the eprint and the URL', () => {
    const out = bibtex(paper);
    assert.match(out, /^@misc\{alvarez2025attention,\n/);
    assert.match(out, /title\s+= \{Attention \{Is\} All You Need\},/);
    assert.match(out, /author\s+= \{José Álvarez and Alan Turing\},/);
    assert.match(out, /eprint\s+= \{2507\.00001\},/);
    assert.match(out, /doi\s+= \{10\.1000\/xyz\},/);
    assert.match(out, /url\s+= \{https:\/\/arxiv\.org\/abs\/2507\.00001\},\n\}$/);
  });

  it('drops braces that do not balance', () => {
    assert.match(bibtex({ ...paper, title: 'Broken } title {' }), /title\s+= \{Broken  title \},/);
  });
});
