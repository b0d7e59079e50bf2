/**
 * Markdown through marked's lexer (the tokens, not its HTML): ATX and setext headings open
 * sections with their level, paragraphs lose their inline markup (emphasis, links keep their
 * text, images their alt text), lists and tables get the same plain-text form as HTML ones
 * (`- item`, `1. item`, cells joined by ` | `), fenced code keeps its lines. Raw HTML blocks
 * are converted with the DOM writer.
 *
 * Extending: a new block token type gets a case in `block`; a new inline one in `inline`.
 */

import { Lexer, type Token, type Tokens } from 'marked';
import { DomTextWriter } from './dom-text.ts';
import { parseHtmlDocument } from './html.ts';
import { decodeText, fallbackNote } from './text.ts';
import { TextBuilder } from './text-builder.ts';
import type { ExtractInput, Extracted } from './types.ts';

function inline(tokens: Token[] | undefined, fallback = ''): string {
  if (!tokens) return fallback;
  let s = '';
  for (const t of tokens) {
    switch (t.type) {
      case 'image':
        s += (t as Tokens.Image).text;
        break;
      case 'br':
        s += ' ';
        break;
      case 'html':
        s += (t as Tokens.HTML).text.replace(/<[^>]*>/g, '');
        break;
      case 'codespan':
      case 'escape':
        s += (t as Tokens.Codespan).text;
        break;
      default: {
        const withKids = t as Tokens.Generic;
        s += Array.isArray(withKids.tokens) ? inline(withKids.tokens as Token[]) : String(withKids.text ?? withKids.raw ?? '');
      }
    }
  }
  return s;
}

class MarkdownWriter {
  firstHeading: string | null = null;
  constructor(private readonly b: TextBuilder) {}

  blocks(tokens: Token[]): void {
    for (const t of tokens) this.block(t);
  }

  private block(t: Token): void {
    switch (t.type) {
      case 'heading': {
        const h = t as Tokens.Heading;
        const title = inline(h.tokens, h.text);
        this.firstHeading ??= title.trim();
        this.b.heading(h.depth, title);
        break;
      }
      case 'paragraph':
      case 'text':
        this.b.paragraph(inline((t as Tokens.Paragraph).tokens, (t as Tokens.Paragraph).text));
        break;
      case 'code':
        this.b.pre((t as Tokens.Code).text);
        break;
      case 'blockquote':
        this.blocks((t as Tokens.Blockquote).tokens);
        break;
      case 'list':
        this.list(t as Tokens.List, 0);
        this.b.breakTight();
        break;
      case 'table':
        this.table(t as Tokens.Table);
        this.b.breakTight();
        break;
      case 'html': {
        const doc = parseHtmlDocument(`<!doctype html><html><body>${(t as Tokens.HTML).text}</body></html>`);
        new DomTextWriter(this.b).write(doc.body as unknown as Parameters<DomTextWriter['write']>[0]);
        break;
      }
      default:
        break; // space, hr, def: no text
    }
  }

  private list(l: Tokens.List, depth: number): void {
    let n = typeof l.start === 'number' ? l.start : 1;
    const indent = '  '.repeat(depth);
    for (const item of l.items) {
      const marker = l.ordered ? `${n++}. ` : item.task ? (item.checked ? '- [x] ' : '- [ ] ') : '- ';
      let first = true;
      let text = '';
      const emit = () => {
        if (!text.trim()) return;
        this.b.line(first ? marker + text : text, first ? indent : indent + ' '.repeat(marker.length));
        first = false;
        text = '';
      };
      for (const c of item.tokens) {
        if (c.type === 'list') {
          emit();
          this.list(c as Tokens.List, depth + 1);
        } else if (c.type === 'checkbox') {
          continue;
        } else if (c.type === 'text' || c.type === 'paragraph') {
          text += (text ? ' ' : '') + inline((c as Tokens.Text).tokens, (c as Tokens.Text).text);
        } else if (c.type === 'code') {
          text += (text ? ' ' : '') + (c as Tokens.Code).text;
        } else {
          text += (text ? ' ' : '') + inline((c as Tokens.Generic).tokens as Token[] | undefined, String((c as Tokens.Generic).text ?? ''));
        }
      }
      emit();
    }
  }

  private table(t: Tokens.Table): void {
    this.b.line(t.header.map((c) => inline(c.tokens, c.text).trim()).join(' | '));
    for (const row of t.rows) this.b.line(row.map((c) => inline(c.tokens, c.text).trim()).join(' | '));
  }
}

export function extractMarkdown(input: ExtractInput): Extracted {
  const dec = decodeText(input.data);
  input.progress(0, input.data.length, 'bytes');
  const src = dec.text.replace(/\r\n?/g, '\n');
  // YAML front matter: take title/author, do not emit it as text.
  let body = src;
  let title: string | null = null;
  let author: string | null = null;
  const fm = /^---\n([\s\S]*?)\n(?:---|\.\.\.)\n/.exec(src);
  if (fm) {
    body = src.slice(fm[0].length);
    title = /^title:\s*["']?(.+?)["']?\s*$/m.exec(fm[1]!)?.[1] ?? null;
    author = /^author:\s*["']?(.+?)["']?\s*$/m.exec(fm[1]!)?.[1] ?? null;
  }
  const b = new TextBuilder(input.limits.maxTextChars);
  const w = new MarkdownWriter(b);
  w.blocks(new Lexer({ gfm: true }).lex(body));
  const { text, sourceMap } = b.finish();
  input.progress(input.data.length, input.data.length, 'bytes');
  return {
    format: 'markdown',
    title: title ?? w.firstHeading,
    author,
    pages: null,
    text,
    sourceMap,
    notes: dec.fallback ? [fallbackNote(input.name, dec)] : [],
    encoding: dec.encoding,
  };
}
