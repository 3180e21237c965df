import { describe, expect, it } from "vitest";
import { unsafeAppUrl } from "./app-url.ts";

describe("app URLs a deployed Stepwise may call", () => {
  it("allows https:// to public names and addresses", () => {
    for (const url of [
      "https://billing.example.com/api/stepwise",
      "https://8.8.8.8/x",
      "https://[2606:4700::1111]/x",
      "https://172.32.0.1/",
    ])
      expect(unsafeAppUrl(url), url).toBeNull();
  });

  it("refuses plain http, local names, and private, loopback and link-local addresses however written", () => {
    const refused = [
      "http://billing.example.com/api",
      "https://localhost/x",
      "https://app.localhost/x",
      "https://printer.local/x",
      "https://metadata.internal/x",
      "https://intranet/x",
      "https://127.0.0.1/x",
      "https://0x7f.1/x",
      "https://2130706433/x",
      "https://10.1.2.3/x",
      "https://172.16.0.1/x",
      "https://192.168.1.1/x",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/x",
      "https://0.0.0.0/x",
      "https://[::1]/x",
      "https://[fd00::1]/x",
      "https://[fe80::1]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://[::ffff:10.0.0.1]/x",
    ];
    for (const url of refused) expect(unsafeAppUrl(url), url).not.toBeNull();
  });
});
