/**
 * Markdown -> safe HTML for answers (marked). Raw HTML in the source is escaped, never
 * rendered; links keep only http(s)/mailto targets (others become plain text) and open in a
 * new window without referrer; images are shown as their alt text (nothing is fetched).
 * Everything else is marked's own escaping. Extend by overriding another renderer method here.
 */

import { Marked, type Tokens } from 'marked';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const SAFE_URL = /^(https?:|mailto:)/i;

const md = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link) {
      const inner = this.parser.parseInline(tokens);
      if (!SAFE_URL.test(href.trim())) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href.trim())}"${t} target="_blank" rel="noopener noreferrer">${inner}</a>`;
    },
    image({ text }: Tokens.Image) {
      return escapeHtml(text ? `[image: ${text}]` : '[image]');
    },
  },
});

export function renderMarkdown(src: string): string {
  return md.parse(src, { async: false }) as string;
}
