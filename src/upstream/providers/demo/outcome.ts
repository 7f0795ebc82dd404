/** What a demo endpoint gives back: an answer, or a refusal that goes out as an upstream 400 would. */
export type Outcome = { json: Record<string, unknown> } | { refusal: { message: string; param: string } };

export const refuse = (param: string, message: string): Outcome => ({ refusal: { message, param } });
