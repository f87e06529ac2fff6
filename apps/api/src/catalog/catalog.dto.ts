import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';

export class ListProductsQuery {
  @ApiPropertyOptional({ description: 'Words to find in the product name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(50)
  category?: string;

  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  page = 1;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @ApiPropertyOptional({ enum: ['name', 'price', 'newest'], default: 'name' })
  @IsOptional()
  @IsIn(['name', 'price', 'newest'])
  sort: 'name' | 'price' | 'newest' = 'name';
}

export class CreateProductBody {
  @ApiProperty({ example: 'MUG-0001' })
  @IsString()
  @Matches(/^[A-Z0-9-]{3,32}$/, { message: 'sku must be 3-32 characters of A-Z, 0-9 and -' })
  sku!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5_000)
  description?: string;

  @ApiProperty()
  @IsString()
  @Length(1, 50)
  category!: string;

  @ApiProperty({ description: 'Price in cents' })
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  priceCents!: number;

  @ApiProperty()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  stock!: number;
}

export class UpdateProductBody {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5_000)
  description?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 50)
  category?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  priceCents?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  stock?: number;
}

/** GET /products and GET /products/:id: the shared API contract's shapes. */
export type { ProductPage, ProductView } from '@tenk/contracts/api';
