/**
 * Reading roles out of a verified claim set.
 *
 * @module
 */

function lookup(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  // A namespaced claim such as "https://example.com/roles" contains dots: try it whole first.
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const segment of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, segment)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * Reads roles from a claim set. The claim may be named by a dotted path
 * (`realm_access.roles`); a claim whose own name contains dots is found too.
 * Its value may be an array (non-string members are skipped) or a
 * space-separated string, as in OAuth `scope`.
 *
 * @param claims A verified claim set.
 * @param path The claim name or dotted path.
 * @returns The roles, or an empty array when the claim is absent or of another type.
 *
 * @example Read Keycloak realm roles
 * ```ts
 * import { readRoles } from "@realtime/hub/auth";
 *
 * readRoles({ realm_access: { roles: ["admin"] } }, "realm_access.roles"); // ["admin"]
 * readRoles({ scope: "read write" }, "scope"); // ["read", "write"]
 * readRoles({}, "roles"); // []
 * ```
 */
export function readRoles(claims: Readonly<Record<string, unknown>>, path: string): string[] {
  const value = lookup(claims, path);
  if (Array.isArray(value)) {
    // slice(): a right-sized copy, as every connection keeps its roles.
    return value.filter((role): role is string => typeof role === "string" && role.length > 0)
      .slice();
  }
  if (typeof value === "string") return value.split(/\s+/).filter((role) => role.length > 0);
  return [];
}
