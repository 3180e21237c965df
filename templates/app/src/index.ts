/**
 * An existing app's Worker with Stepwise added: its functions served with `serve()`, and
 * events sent to Stepwise through the typed STEPWISE binding.
 */
import { serve, Stepwise, type StepwiseBinding } from "stepwise";
import { functions } from "./functions.ts";

export interface Env {
  /** The service binding to Stepwise's RPC entrypoint (wrangler.toml). */
  STEPWISE: StepwiseBinding;
  STEPWISE_SIGNING_KEY: string;
}

export default {
  async fetch(request, env) {
    const client = new Stepwise({ id: "my-app", binding: env.STEPWISE });
    const url = new URL(request.url);
    // Stepwise calls here (POST: run, GET: manifest); PUT registers the app (npm run register).
    if (url.pathname === "/api/stepwise")
      return serve({ client, functions, signingKey: env.STEPWISE_SIGNING_KEY, bindingName: "MY_APP" })(request);
    // The app's own routes: here, one that sends an event.
    if (url.pathname === "/signup" && request.method === "POST") {
      const { ids } = await client.send({
        name: "user/created",
        data: { email: url.searchParams.get("email") ?? "someone@example.com" },
      });
      return Response.json({ eventId: ids[0] }, { status: 202 });
    }
    // The client reaches the rest of Stepwise's API through the binding too: here, the latest runs.
    if (url.pathname === "/runs")
      return Response.json(await client.listRuns({ functionId: "send-welcome", limit: 10 }));
    return new Response("my-app", { status: 200 });
  },
} satisfies ExportedHandler<Env>;
