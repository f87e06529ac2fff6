import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
export type Role = 'customer' | 'admin';

@Entity('users')
export class User {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  email!: string;

  @Column('text')
  name!: string;

  @Column('text', { name: 'password_hash', select: false })
  passwordHash!: string;

  @Column('text')
  role!: Role;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
