import { defineConfig } from 'drizzle-kit';

// Used only by `make migration` (drizzle-kit generate); the gateway applies the embedded SQL itself.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
