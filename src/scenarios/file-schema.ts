/**
 * The schema of a scenario file: each scenario's fields (schema.ts), then its run budget
 * (budget.ts). Here rather than in schema.ts because the budget reads the types schema.ts infers:
 * schema.ts → budget.ts → schema.ts would be a cycle.
 */
import { z } from 'zod';
import { budgetIssues } from './budget.js';
import { ident, scenarioShape } from './schema.js';

/**
 * A scenario: its fields, then its run budget (budget.ts) once every field is valid. A check
 * rather than a refinement because zod runs refinements even after a field failed, and the
 * budget of a value already refused is a second report of one mistake.
 */
export const scenarioSchema = scenarioShape.check((payload) => {
  if (payload.issues.length > 0) return;
  for (const issue of budgetIssues(payload.value)) {
    payload.issues.push({ code: 'custom', path: [...issue.path], message: issue.message, input: payload.value, params: { code: issue.code } });
  }
});

export const scenarioFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  scenarios: z.record(ident, scenarioSchema),
});
export type ScenarioFileSpec = z.output<typeof scenarioFileSchema>;
