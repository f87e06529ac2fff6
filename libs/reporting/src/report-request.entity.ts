import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ReportState, ReportType } from '@tenk/contracts';

const bigintAsNumber = { to: (value: number | null) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

/** A requested report and where it stands (table `report_requests`, catalog database). */
@Entity('report_requests')
export class ReportRequest {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'owner_id' })
  ownerId!: string;

  @Column('text')
  type!: ReportType;

  /** First day covered (YYYY-MM-DD, UTC). */
  @Column('date', { name: 'from_day' })
  fromDay!: string;

  /** Last day covered, included. */
  @Column('date', { name: 'to_day' })
  toDay!: string;

  @Column('text')
  state!: ReportState;

  @Column('text', { nullable: true })
  error!: string | null;

  @Column('text', { name: 'file_key', nullable: true })
  fileKey!: string | null;

  @Column('integer', { name: 'row_count', nullable: true })
  rowCount!: number | null;

  @Column('bigint', { nullable: true, transformer: bigintAsNumber })
  bytes!: number | null;

  @Column('integer')
  attempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt!: Date | null;

  /** When the file is deleted (set once it is written). */
  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;
}
