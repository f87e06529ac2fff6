import { Injectable } from '@nestjs/common';
import { LessThanOrEqual, type Repository } from 'typeorm';
import type { ReportType } from '@tenk/contracts';
import { CatalogDatabase } from '@tenk/database';
import { objectKey } from '@tenk/storage';
import { ReportRequest } from './report-request.entity';

export interface NewReportRequest {
  id: string;
  ownerId: string;
  type: ReportType;
  fromDay: string;
  toDay: string;
}

/** The storage key of a report's file: built from its id only. */
export function reportFileKey(reportId: string): string {
  return objectKey('reports', `${reportId}.csv`);
}

/** The `report_requests` table (on the primary: pollers must see their report's state move forward). */
@Injectable()
export class ReportRequests {
  constructor(private readonly db: CatalogDatabase) {}

  get #requests(): Repository<ReportRequest> {
    return this.db.primary.getRepository(ReportRequest);
  }

  async create(input: NewReportRequest): Promise<ReportRequest> {
    const request = this.#requests.create({
      ...input,
      state: 'queued',
      error: null,
      fileKey: null,
      rowCount: null,
      bytes: null,
      attempts: 0,
      completedAt: null,
      expiresAt: null,
    });
    await this.#requests.insert(request);
    return request;
  }

  find(id: string): Promise<ReportRequest | null> {
    return this.#requests.findOneBy({ id });
  }

  listForOwner(ownerId: string, limit: number): Promise<ReportRequest[]> {
    return this.#requests.find({ where: { ownerId }, order: { createdAt: 'DESC' }, take: limit });
  }

  async markBuilding(id: string): Promise<void> {
    await this.#requests
      .createQueryBuilder()
      .update()
      .set({ state: 'building', attempts: () => 'attempts + 1' })
      .where('id = :id', { id })
      .execute();
  }

  async markReady(id: string, file: { fileKey: string; rowCount: number; bytes: number; expiresAt: Date }): Promise<void> {
    await this.#requests.update({ id }, { state: 'ready', error: null, completedAt: new Date(), ...file });
  }

  async markRetrying(id: string, reason: string): Promise<void> {
    await this.#requests.update({ id, state: 'building' }, { state: 'queued', error: reason });
  }

  async markFailed(id: string, reason: string): Promise<void> {
    await this.#requests
      .createQueryBuilder()
      .update()
      .set({ state: 'failed', error: reason })
      .where('id = :id AND state <> :ready', { id, ready: 'ready' })
      .execute();
  }

  /** Ready reports whose files are past their time to live, oldest first. */
  findExpired(now: Date, limit: number): Promise<ReportRequest[]> {
    return this.#requests.find({ where: { state: 'ready', expiresAt: LessThanOrEqual(now) }, order: { expiresAt: 'ASC' }, take: limit });
  }

  async markExpired(id: string): Promise<void> {
    await this.#requests.update({ id, state: 'ready' }, { state: 'expired', fileKey: null });
  }
}
