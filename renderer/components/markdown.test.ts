import { describe, expect, it } from 'vitest';
import { escapeHtml, renderMarkdown } from './markdown.ts';

describe('renderMarkdown', () => {
  it('renders the usual Markdown', () => {
    const html = renderMarkdown('# Title\n\nSome **bold** and `code`.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |');
    expect(html).toContain('<h1');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<li>a</li>');
    expect(html).toContain('<table>');
  });

  it('escapes raw HTML blocks and inline tags instead of rendering them', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\nText with <img src=x onerror="alert(2)"> inline and <b>bold</b>.');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<b>/);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(2)&quot;&gt;');
  });

  it('drops javascript: and data: links, keeps http links safe', () => {
    const html = renderMarkdown('[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.com "t")');
    expect(html).not.toMatch(/href="javascript/i);
    expect(html).not.toMatch(/href="data/i);
    expect(html).toContain('<a href="https://example.com" title="t" target="_blank" rel="noopener noreferrer">c</a>');
  });

  it('never loads images', () => {
    expect(renderMarkdown('![alt text](https://example.com/x.png)')).not.toMatch(/<img/i);
  });

  it('escapeHtml escapes the five characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
