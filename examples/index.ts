/** The example functions, registered when Stepwise runs locally. */
import { analyzeDocument } from "./analyze-document.ts";
import { approveExpense } from "./approve-expense.ts";
import { draftReply } from "./draft-reply.ts";
import { onboardUser } from "./onboard-user.ts";
import { onboardingRetryPolicy } from "./onboarding-retry-policy.ts";
import { processItems } from "./process-items.ts";

export const examples = [onboardUser, analyzeDocument, onboardingRetryPolicy, processItems, approveExpense, draftReply];
