import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, Matches, MaxLength, ValidateBy } from 'class-validator';

/** bcrypt ignores what follows the 72nd byte: refuse such passwords instead. */
const MaxBytes = (max: number) =>
  ValidateBy({
    name: 'maxBytes',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
      defaultMessage: () => `password must be at most ${max} bytes in UTF-8`,
    },
  });

export class SignupBody {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100, { message: 'name must be 1 to 100 characters long' })
  @Matches(/^[^\p{Cc}]*[^\s\p{Cc}][^\p{Cc}]*$/u, { message: 'name must contain a visible character and no control characters' })
  name!: string;

  @ApiProperty({ minLength: 10, maxLength: 72, description: '10 to 72 characters (bcrypt reads 72 bytes)' })
  @IsString()
  @Length(10, 72, { message: 'password must be 10 to 72 characters long' })
  @MaxBytes(72)
  password!: string;
}

/** The shared API contract's shape of an account. */
export type { UserView } from '@tenk/contracts/api';

export class ChangeRoleBody {
  @ApiProperty({ enum: ['customer', 'admin'] })
  @IsIn(['customer', 'admin'], { message: 'role must be customer or admin' })
  role!: 'customer' | 'admin';
}
