/** The example functions, registered when Stepwise runs locally. */
import { analyzeDocument } from "./analyze-document.ts";
import { onboardUser } from "./onboard-user.ts";
import { onboardingRetryPolicy } from "./onboarding-retry-policy.ts";

export const examples = [onboardUser, analyzeDocument, onboardingRetryPolicy];
