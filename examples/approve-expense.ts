/**
 * Expense approval: a wait token sent to the approver (here the "email" is an effect holding the
 * URL), a wait of up to two days, then payment or escalation. The approver's browser, or a
 * webhook, completes the token by `POST`ing `{ "approved": true }` to its URL: no API key needed.
 */
import { stepwise } from "./client.ts";
import { recordEffect } from "./effects.ts";

interface ExpenseSubmitted {
  expenseId: string;
  amount: number;
  approver: string;
}

interface Decision {
  approved: boolean;
  note?: string;
}

export const approveExpense = stepwise.createFunction<ExpenseSubmitted>(
  { id: "approve-expense", name: "Approve an expense" },
  { event: "expense/submitted" },
  async ({ event, step }) => {
    const token = await step.createToken("approval-link", { timeout: "2 days" });
    await step.run("email-approver", () => {
      recordEffect("email.approval-request", event.data.expenseId, { to: event.data.approver, link: token.url });
      return { sent: true };
    });
    const answer = await step.waitForToken<Decision>("approver-decision", token);
    if (!answer) return { expenseId: event.data.expenseId, outcome: "escalated" };
    if (!answer.data.approved) return { expenseId: event.data.expenseId, outcome: "rejected", note: answer.data.note };
    await step.run("pay", () => {
      recordEffect("expense.paid", event.data.expenseId, { amount: event.data.amount });
      return { paid: event.data.amount };
    });
    return { expenseId: event.data.expenseId, outcome: "paid" };
  },
);
