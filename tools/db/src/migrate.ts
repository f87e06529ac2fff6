/**
 * Runs pending migrations on the catalog database and on every order shard, then seeds the
 * catalog when it is empty. Usage: npm run migrate [-- --no-seed]
 */
import { isConfigError, loadConfig } from '@tenk/config';
import { runAllMigrations } from '@tenk/database';
import { seedCatalog } from './seed';

async function main(): Promise<void> {
  const config = loadConfig();
  const started = Date.now();
  await runAllMigrations(config, (line) => console.log(`[migrate] ${line}`));
  if (!process.argv.includes('--no-seed')) {
    const seeded = await seedCatalog(config);
    console.log(`[migrate] catalog: ${seeded === 0 ? 'already seeded' : `seeded ${seeded} products`}`);
  }
  console.log(`[migrate] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`[migrate] ${isConfigError(error) || error instanceof Error ? (error as Error).message : String(error)}`);
  process.exit(1);
});
