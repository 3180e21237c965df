/**
 * Onboarding: create the user's workspace, send a welcome email, wait three days, follow up.
 * The three-day sleep costs nothing while it lasts; `followUpAfter` shortens it for demos.
 */
import { stepwise } from "./client.ts";
import { recordEffect } from "./effects.ts";

interface SignedUp {
  userId: string;
  email: string;
  followUpAfter?: string;
}

export const onboardUser = stepwise.createFunction<SignedUp>(
  { id: "onboard-user", name: "Onboard a new user" },
  { event: "user/signed-up" },
  async ({ event, step }) => {
    const workspace = await step.run("create-workspace", () => {
      recordEffect("workspace.created", event.data.userId);
      return { workspaceId: `ws_${event.data.userId}` };
    });
    await step.run("send-welcome-email", () => {
      recordEffect("email.welcome", event.data.userId, { to: event.data.email });
      return { sent: true };
    });
    await step.sleep("wait-before-follow-up", event.data.followUpAfter ?? "3 days");
    await step.run("send-follow-up", () => {
      recordEffect("email.follow-up", event.data.userId, { to: event.data.email });
      return { sent: true };
    });
    return { userId: event.data.userId, workspaceId: workspace.workspaceId };
  },
);
