/**
 * A deployment setting (a var or a binding in wrangler.toml) that Stepwise cannot work with. The
 * HTTP API answers it with 503 and this message, which names the setting, rather than a bare 500.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}
