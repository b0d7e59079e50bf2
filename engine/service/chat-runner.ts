/** ChatRunner: builds prompts from documents + chat history, runs generation, computes evidence. */
import { LongreadError } from '../errors.ts';
import type { AttentionHeatmap, ChatMessage, ContextCheck, GenerateOptions } from './contract.ts';
import type { ModelHost } from './model-host.ts';
import type { RequestContext } from './server.ts';
import type { Stores } from './stores.ts';

export class ChatRunner {
  constructor(
    private readonly stores: Stores,
    private readonly models: ModelHost,
  ) {}

  async check(_documentIds: string[], _question: string): Promise<ContextCheck> {
    throw notReady();
  }
  async ask(chatId: string, _q: string, _o: GenerateOptions, _ctx: RequestContext): Promise<ChatMessage> {
    this.stores.getChat(chatId);
    void this.models;
    throw notReady();
  }
  async regenerate(chatId: string, _m: string, _o: GenerateOptions, _ctx: RequestContext): Promise<ChatMessage> {
    this.stores.getChat(chatId);
    throw notReady();
  }
  async heatmap(_messageId: string): Promise<AttentionHeatmap> {
    throw notReady();
  }
}

function notReady(): LongreadError {
  return new LongreadError('model-not-loaded', 'The model runtime is not wired yet.', 'Update Longread.');
}
