import type { TenkConfig } from '@tenk/config';
import { catalogPrimaryClient } from '@tenk/database';

const CATEGORIES = ['kitchen', 'garden', 'books', 'toys', 'tools', 'music', 'sports', 'office', 'outdoor', 'games'];
const ADJECTIVES = ['Sturdy', 'Compact', 'Classic', 'Bright', 'Quiet', 'Rapid', 'Gentle', 'Bold', 'Tiny', 'Grand', 'Smart', 'Rustic'];
const NOUNS: Record<string, string[]> = {
  kitchen: ['Mug', 'Kettle', 'Pan', 'Knife', 'Teapot'],
  garden: ['Rake', 'Planter', 'Hose', 'Shovel', 'Lantern'],
  books: ['Atlas', 'Novel', 'Cookbook', 'Journal', 'Almanac'],
  toys: ['Robot', 'Puzzle', 'Kite', 'Yo-yo', 'Train'],
  tools: ['Hammer', 'Wrench', 'Drill', 'Level', 'Saw'],
  music: ['Ukulele', 'Harmonica', 'Drum', 'Metronome', 'Tambourine'],
  sports: ['Ball', 'Racket', 'Helmet', 'Bottle', 'Mat'],
  office: ['Stapler', 'Notebook', 'Pen', 'Lamp', 'Chair'],
  outdoor: ['Tent', 'Backpack', 'Compass', 'Hammock', 'Stove'],
  games: ['Chess set', 'Card deck', 'Dice', 'Board game', 'Domino'],
};

/** A small deterministic generator, so every machine seeds the same catalog. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** TENK_SEED_PRODUCTS: how many products to seed (5,000 unless set); a bad value stops the seed, naming it. */
export function seedProductCount(env: NodeJS.ProcessEnv): number {
  const raw = env['TENK_SEED_PRODUCTS'];
  if (raw === undefined || raw === '') return 5_000;
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 0)
    throw new Error(`TENK_SEED_PRODUCTS: expected a whole number >= 0, got ${JSON.stringify(raw)}`);
  return count;
}

/**
 * Fills an empty catalog with `count` products (5,000 by default, TENK_SEED_PRODUCTS to
 * change). Returns how many it inserted: 0 when the catalog already has products.
 */
export async function seedCatalog(config: TenkConfig, count = seedProductCount(process.env)): Promise<number> {
  const client = catalogPrimaryClient(config);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM products');
    if (Number(rows[0].n) > 0) return 0;
    const random = mulberry32(10_000);
    const batch = 1_000;
    for (let start = 0; start < count; start += batch) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const category = CATEGORIES[i % CATEGORIES.length];
        const nouns = NOUNS[category];
        const name = `${ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]} ${nouns[Math.floor(random() * nouns.length)]} ${i + 1}`;
        const base = values.length;
        tuples.push(`($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6})`);
        values.push(
          `SKU-${String(i + 1).padStart(6, '0')}`,
          name,
          `A ${name.toLowerCase()} for your ${category} needs.`,
          category,
          199 + Math.floor(random() * 20_000),
          20 + Math.floor(random() * 500),
        );
      }
      await client.query(`INSERT INTO products (sku, name, description, category, price_cents, stock) VALUES ${tuples.join(', ')}`, values);
    }
    return count;
  } finally {
    await client.end();
  }
}
