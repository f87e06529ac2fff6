import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';

export interface StoredMessage {
  id: string;
  receivedAt: string;
  /** SMTP envelope: who the server was told the mail is from and for. */
  envelope: { from: string; to: string[] };
  from: string;
  to: string[];
  subject: string;
  messageId?: string;
  headers: Record<string, string>;
  text?: string;
  html?: string;
}

const ID = /^[0-9a-f-]{36}$/;

export type MessageSummary = Omit<StoredMessage, 'text' | 'html' | 'headers'>;

/**
 * Every received message as two files: the raw `.eml` and its parsed `.json`. Summaries are
 * kept in memory (read from disk once), so listing thousands of messages reads no files.
 */
export class MailStore {
  #summaries: Map<string, MessageSummary> | undefined;

  constructor(private readonly dir: string) {}

  async save(raw: Buffer, envelope: StoredMessage['envelope']): Promise<StoredMessage> {
    await mkdir(this.dir, { recursive: true });
    const parsed = await simpleParser(raw);
    const id = randomUUID();
    const headers: Record<string, string> = {};
    for (const line of parsed.headerLines) headers[line.key] = line.line.slice(line.key.length + 1).trim();
    const message: StoredMessage = {
      id,
      receivedAt: new Date().toISOString(),
      envelope,
      from: addresses(parsed.from).join(', '),
      to: addresses(parsed.to),
      subject: parsed.subject ?? '',
      messageId: parsed.messageId,
      headers,
      text: parsed.text,
      html: typeof parsed.html === 'string' ? parsed.html : undefined,
    };
    await writeFile(path.join(this.dir, `${id}.eml`), raw);
    await writeFile(path.join(this.dir, `${id}.json`), JSON.stringify(message, null, 2));
    (await this.#index()).set(id, summarize(message));
    return message;
  }

  /** Summaries of every message, oldest first. */
  async list(): Promise<MessageSummary[]> {
    return [...(await this.#index()).values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  async #index(): Promise<Map<string, MessageSummary>> {
    if (!this.#summaries) {
      const names = await readdir(this.dir).catch(() => [] as string[]);
      const summaries = new Map<string, MessageSummary>();
      for (const name of names.filter((file) => file.endsWith('.json'))) {
        const message = JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as StoredMessage;
        summaries.set(message.id, summarize(message));
      }
      this.#summaries ??= summaries;
    }
    return this.#summaries;
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(path.join(this.dir, `${id}.json`), 'utf8')) as StoredMessage;
    } catch {
      return undefined;
    }
  }

  async raw(id: string): Promise<Buffer | undefined> {
    if (!ID.test(id)) return undefined;
    return readFile(path.join(this.dir, `${id}.eml`)).catch(() => undefined);
  }

  async clear(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.map((name) => rm(path.join(this.dir, name), { force: true })));
    this.#summaries = new Map();
    return names.filter((name) => name.endsWith('.json')).length;
  }
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((object) => object.value.map((entry) => entry.address ?? entry.name ?? '')).filter(Boolean);
}

function summarize(message: StoredMessage): MessageSummary {
  const { text: _text, html: _html, headers: _headers, ...summary } = message;
  return summary;
}
