/**
 * Minting the HS256 tokens a load generator opens its connections with,
 * before any timer starts: one per connection, user `u<i>`.
 *
 * @module
 */

import { mintToken } from "../src/auth/mod.ts";
import { BENCH_SECRET, benchClaims } from "./_config.ts";

/**
 * Mints `count` tokens for users `u0` to `u<count-1>` (2 h lifetime) and
 * writes them as a JSON array to a temporary file.
 *
 * @param count How many.
 * @param prefix The temporary file's name prefix.
 * @returns The file's path.
 */
export async function mintTokensFile(count: number, prefix: string): Promise<string> {
  const secret = new TextEncoder().encode(BENCH_SECRET);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    tokens.push(await mintToken(benchClaims(`u${i}`), { secret }, { ttl: "2h" }));
  }
  const file = await Deno.makeTempFile({ prefix, suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(tokens));
  return file;
}
